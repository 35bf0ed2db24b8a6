using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// A cookie-keeping HTTP client that reads pages and submits their forms like a browser does, and follows
/// redirects only while they stay on Plinto (a redirect to a client is the result a test inspects).
/// </summary>
internal sealed class Browser(HttpClient client)
{
    private static readonly HtmlParser Parser = new();

    public HttpClient Client => client;

    public Uri? LastUrl { get; private set; }

    public Task<HttpResponseMessage> GetAsync(string url)
    {
        LastUrl = new Uri(client.BaseAddress!, url);
        return client.GetAsync(url);
    }

    public static async Task<IHtmlDocument> ReadPageAsync(HttpResponseMessage response) =>
        Parser.ParseDocument(await response.Content.ReadAsStringAsync());

    public async Task<(HttpResponseMessage Response, IHtmlDocument Page)> OpenAsync(string url)
    {
        var response = await FollowAsync(await GetAsync(url));
        return (response, await ReadPageAsync(response));
    }

    /// <summary>Posts the first form (or the one matching <paramref name="selector"/>) with its own fields plus the given values.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(
        IHtmlDocument page, IDictionary<string, string> values, string? selector = null, (string Name, string Value)? submitter = null)
    {
        // Without a selector: the first form a person can see (hidden ones, like the passkey form that needs
        // JavaScript to appear, are not there for a browser without it).
        var form = (selector is null ? page.Forms.FirstOrDefault(f => !f.HasAttribute("hidden")) : page.QuerySelector(selector) as IHtmlFormElement)
            ?? throw new AssertionException($"No form{(selector is null ? string.Empty : " " + selector)} on the page:\n{page.Body?.TextContent}");

        var fields = new List<KeyValuePair<string, string>>();
        foreach (var input in form.Elements.OfType<IHtmlInputElement>())
        {
            if (string.IsNullOrEmpty(input.Name) || input.Type is "submit" || (input.Type is "checkbox" && !input.IsChecked))
            {
                continue;
            }

            if (!values.ContainsKey(input.Name))
            {
                fields.Add(new(input.Name, input.Value));
            }
        }

        fields.AddRange(values);
        if (submitter is { } button)
        {
            fields.Add(new(button.Name, button.Value));
        }

        var action = string.IsNullOrEmpty(form.GetAttribute("action")) ? LastUrl! : new Uri(LastUrl!, form.GetAttribute("action"));
        LastUrl = action;
        return await client.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    /// <summary>Follows redirects that stay on Plinto; returns the first response that is not one.</summary>
    public async Task<HttpResponseMessage> FollowAsync(HttpResponseMessage response)
    {
        for (var hops = 0; hops < 10; hops++)
        {
            if (!IsRedirect(response) || !IsLocal(RedirectTarget(response)))
            {
                return response;
            }

            response = await GetAsync(RedirectTarget(response).ToString());
        }

        throw new AssertionException("Too many redirects.");
    }

    public static bool IsRedirect(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.MovedPermanently;

    public Uri RedirectTarget(HttpResponseMessage response)
    {
        var location = response.Headers.Location ?? throw new AssertionException("Redirect without a Location header.");
        return location.IsAbsoluteUri ? location : new Uri(LastUrl ?? client.BaseAddress!, location);
    }

    public bool IsLocal(Uri uri) => uri.Authority == client.BaseAddress!.Authority && uri.Scheme == client.BaseAddress.Scheme;
}

internal static class BrowserExtensions
{
    /// <summary>Where a redirect points, as a path and query (for assertions on where a page sent the browser).</summary>
    public static string LastUrlAfterRedirect(this Browser browser, HttpResponseMessage response) =>
        Browser.IsRedirect(response) ? browser.RedirectTarget(response).PathAndQuery : browser.LastUrl!.PathAndQuery;
}
