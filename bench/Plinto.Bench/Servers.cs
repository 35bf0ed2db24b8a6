using System.Net;
using System.Text.RegularExpressions;

namespace Plinto.Bench;

/// <summary>The endpoints and sign-in steps that differ between Plinto and the peer.</summary>
internal interface IServer
{
    Setup.Settings Settings { get; }

    string TokenPath { get; }

    string IntrospectionPath { get; }

    string JwksPath { get; }

    string AuthorizePath { get; }

    /// <summary>The prompt value under which the server grants offline_access (OIDC Core §11).</summary>
    string? OfflinePrompt { get; }

    /// <summary>Extra token request parameters for an access token that introspection can find.</summary>
    string IntrospectableResource { get; }

    /// <summary>A sign-in form the benchmark can post again and again.</summary>
    Task<Setup.SignInForm> PrepareSignInAsync(string authorizePath);

    /// <summary>Leaves a signed-in browser session in the cookie container.</summary>
    Task SignInAsync(string authorizePath);

    /// <summary>A code for an authorization request that needs the user's consent (offline_access).</summary>
    Task<string> ConsentedCodeAsync(string authorizePath);
}

internal sealed partial class PlintoServer(HttpClient http, CookieContainer cookies, Setup.Settings settings) : IServer
{
    public Setup.Settings Settings => settings;

    public string TokenPath => "/connect/token";

    public string IntrospectionPath => "/connect/introspect";

    public string JwksPath => "/.well-known/jwks";

    public string AuthorizePath => "/connect/authorize";

    public string? OfflinePrompt => null;

    public string IntrospectableResource => string.Empty;

    private string? form;

    public async Task<Setup.SignInForm> PrepareSignInAsync(string authorizePath)
    {
        var page = await http.GetStringAsync("/account/signin");
        var token = AntiforgeryToken().Match(page) is { Success: true } match
            ? WebUtility.HtmlDecode(match.Groups[1].Value)
            : throw new InvalidOperationException("The sign-in page has no antiforgery token.");
        form = $"Input.Email={Uri.EscapeDataString(settings.Email)}&Input.Password={Uri.EscapeDataString(settings.Password)}" +
            $"&__RequestVerificationToken={Uri.EscapeDataString(token)}";
        // Only the antiforgery cookie so far: each replayed post is an anonymous visitor signing in.
        return new Setup.SignInForm("/account/signin", form, cookies.GetCookieHeader(new Uri(http.BaseAddress!, "/account/signin")), 302);
    }

    public async Task SignInAsync(string authorizePath)
    {
        using var content = new StringContent(form ?? throw new InvalidOperationException("PrepareSignInAsync first."),
            System.Text.Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await http.PostAsync("/account/signin", content);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Signing in answered {(int)response.StatusCode}: {Setup.Shorten(await response.Content.ReadAsStringAsync())}");
        }
    }

    public Task<string> ConsentedCodeAsync(string authorizePath) => Setup.CodeAsync(http, authorizePath, settings);

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}

/// <summary>panva's oidc-provider with bench/peer/server.mjs: its interactions live under /interaction/{uid}.</summary>
internal sealed class PeerServer(HttpClient http, CookieContainer cookies, Setup.Settings settings) : IServer
{
    public Setup.Settings Settings => settings;

    public string TokenPath => "/token";

    public string IntrospectionPath => "/token/introspection";

    public string JwksPath => "/jwks";

    public string AuthorizePath => "/auth";

    public string? OfflinePrompt => "consent";

    // oidc-provider does not store JWT access tokens, so only its opaque ones can be introspected.
    public string IntrospectableResource => "&resource=" + Uri.EscapeDataString("urn:bench:opaque");

    private string Body => $"login={Uri.EscapeDataString(settings.Email)}&password={Uri.EscapeDataString(settings.Password)}";

    public async Task<Setup.SignInForm> PrepareSignInAsync(string authorizePath)
    {
        // An interaction that is never resumed: its login form can be posted again and again.
        var path = await InteractionAsync(authorizePath) + "/login";
        return new Setup.SignInForm(path, Body, cookies.GetCookieHeader(new Uri(http.BaseAddress!, path)), 303);
    }

    public async Task SignInAsync(string authorizePath) => await ConsentedCodeAsync(authorizePath);

    public async Task<string> ConsentedCodeAsync(string authorizePath)
    {
        var interaction = await InteractionAsync(authorizePath);
        using var content = new StringContent(Body, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await http.PostAsync(interaction + "/login", content);
        var resume = response.Headers.Location ?? throw new InvalidOperationException(
            $"The peer's login answered {(int)response.StatusCode}: {Setup.Shorten(await response.Content.ReadAsStringAsync())}");
        return await Setup.CodeAsync(http, resume.IsAbsoluteUri ? resume.PathAndQuery : resume.OriginalString, settings);
    }

    private async Task<string> InteractionAsync(string authorizePath)
    {
        using var response = await http.GetAsync(authorizePath);
        var location = response.Headers.Location?.OriginalString;
        return location is not null && location.Contains("/interaction/", StringComparison.Ordinal)
            ? new Uri(http.BaseAddress!, location).AbsolutePath
            : throw new InvalidOperationException($"The peer did not ask for a sign-in ({(int)response.StatusCode}, {location}).");
    }
}
