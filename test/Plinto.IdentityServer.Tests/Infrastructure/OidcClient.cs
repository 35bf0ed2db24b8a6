using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>What a relying party does: builds authorization requests, walks the hosted pages, redeems codes.</summary>
internal static class OidcClient
{
    public sealed record Pkce(string Verifier, string Challenge);

    public static Pkce NewPkce()
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return new Pkce(verifier, Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string AuthorizeUrl(string clientId, string redirectUri, string scope, Pkce? pkce, IDictionary<string, string?>? extra = null)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["response_type"] = "code",
            ["scope"] = scope,
            ["state"] = Guid.NewGuid().ToString("N"),
            ["nonce"] = Guid.NewGuid().ToString("N"),
        };
        if (pkce is not null)
        {
            parameters["code_challenge"] = pkce.Challenge;
            parameters["code_challenge_method"] = "S256";
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            parameters[key] = value;
        }

        return QueryHelpers.AddQueryString("/connect/authorize", parameters.Where(p => p.Value is not null));
    }

    /// <summary>
    /// Runs an authorization request to its end: signs in when asked (if credentials are given), accepts consent
    /// when asked, and returns where Plinto finally sends the browser (the client's redirect URI).
    /// </summary>
    /// <param name="organization">The slug to pick if the organization picker shows (it must show only when expected).</param>
    public static async Task<Uri> AuthorizeAsync(
        Browser browser, string url, string? email = null, string? password = null, bool consent = true, string? organization = null)
    {
        var response = await browser.GetAsync(url);
        for (var step = 0; step < 10; step++)
        {
            if (Browser.IsRedirect(response))
            {
                var target = browser.RedirectTarget(response);
                if (!browser.IsLocal(target))
                {
                    return target;
                }

                response = await browser.GetAsync(target.PathAndQuery);
                continue;
            }

            var page = await Browser.ReadPageAsync(response);
            var path = browser.LastUrl!.AbsolutePath;
            if (path == "/account/signin" && email is not null)
            {
                response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password! });
                email = null; // Sign in once; a second sign-in page means the first one failed.
                continue;
            }

            if (path == "/connect/authorize" && organization is not null
                && page.QuerySelector($"button[data-organization='{organization}']") is { } choice)
            {
                response = await browser.SubmitAsync(page, new Dictionary<string, string>(), submitter: ("scope", choice.GetAttribute("value")!));
                organization = null; // Pick once.
                continue;
            }

            if (path == "/connect/authorize" && response.StatusCode == HttpStatusCode.OK && page.QuerySelector("button[value=accept]") is not null)
            {
                response = await browser.SubmitAsync(page, new Dictionary<string, string>(), submitter: ("plinto_decision", consent ? "accept" : "deny"));
                continue;
            }

            throw new AssertionException($"Stuck at {browser.LastUrl} ({(int)response.StatusCode}): {page.Body?.TextContent.Trim()}");
        }

        throw new AssertionException("The authorization request did not finish.");
    }

    public static IDictionary<string, string> Query(Uri uri) =>
        QueryHelpers.ParseQuery(uri.Query).ToDictionary(p => p.Key, p => p.Value.ToString());

    public static Task<TokenResponse> RedeemCodeAsync(HttpClient client, string code, string redirectUri, Pkce? pkce, string clientId, string? secret) =>
        TokenAsync(client, clientId, secret, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
        }.With("code_verifier", pkce?.Verifier));

    /// <summary>
    /// The confidential client's authorization code flow with PKCE and <c>openid offline_access</c>, signing in on the
    /// way when the browser has no session; asserts that the code was redeemed.
    /// </summary>
    public static async Task<TokenResponse> ConfidentialCodeFlowAsync(Browser browser, string email)
    {
        var pkce = NewPkce();
        var callback = await AuthorizeAsync(browser,
            AuthorizeUrl(PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, "openid offline_access", pkce), email, UniqueUser.Password);
        var tokens = await RedeemCodeAsync(browser.Client, Query(callback)["code"], PlintoFactory.ConfidentialRedirect, pkce,
            PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Json.ToString());
        return tokens;
    }

    public static Task<TokenResponse> RefreshAsync(HttpClient client, string refreshToken, string clientId, string? secret) =>
        TokenAsync(client, clientId, secret, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
        });

    public static async Task<TokenResponse> TokenAsync(HttpClient client, string clientId, string? secret, Dictionary<string, string> form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token") { Content = new FormUrlEncodedContent(form.With("client_id", clientId)) };
        if (secret is not null)
        {
            // RFC 6749 §2.3.1: client_secret_basic, form-encoded id and secret.
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        }

        using var response = await client.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return new TokenResponse(response.StatusCode, json);
    }

    public static async Task<JsonElement> PostFormAsync(HttpClient client, string path, string clientId, string secret, Dictionary<string, string> form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    private static Dictionary<string, string> With(this Dictionary<string, string> form, string key, string? value)
    {
        if (value is not null)
        {
            form[key] = value;
        }

        return form;
    }
}

internal sealed record TokenResponse(HttpStatusCode Status, JsonElement Json)
{
    public string? Error => Json.TryGetProperty("error", out var e) ? e.GetString() : null;

    public string Get(string name) => Json.TryGetProperty(name, out var value)
        ? value.GetString()!
        : throw new AssertionException($"No {name} in the token response ({(int)Status}): {Json}");

    public bool Has(string name) => Json.TryGetProperty(name, out _);
}
