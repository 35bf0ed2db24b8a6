using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>The authorization endpoint's protocol rules (OIDC Core §3.1.2, RFC 6749 §4.1, RFC 7636, RFC 9700).</summary>
internal sealed class AuthorizationRequestTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [TestCase("https://client.test/callback/extra")]
    [TestCase("https://client.test/callback?x=1")]
    [TestCase("https://client.test/")]
    [TestCase("https://evil.test/callback")]
    public async Task An_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(string redirectUri)
    {
        var (_, browser) = await SignedInUserAsync();
        var response = await browser.GetAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, redirectUri, "openid", OidcClient.NewPkce()));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Headers.Location, Is.Null);
        var page = await Browser.ReadPageAsync(response);
        Assert.That(page.QuerySelector("h1")!.TextContent, Does.Contain("not valid"));
        Assert.That(page.QuerySelector("code")!.TextContent, Is.EqualTo("invalid_request"));
        Assert.That(page.QuerySelector("a[href='/']"), Is.Not.Null, "an error page offers a way back");
    }

    [Test]
    public async Task A_garbage_authorization_request_gets_an_error_page_and_the_server_keeps_serving()
    {
        var browser = NewBrowser();
        var garbage = await browser.GetAsync("/connect/authorize?%%%=&client_id=&response_type=token%00&scope=" + new string('x', 3000));
        Assert.That(garbage.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(garbage.Headers.Location, Is.Null);

        var unknownClient = await browser.GetAsync(OidcClient.AuthorizeUrl("no-such-client", ConfidentialRedirect, "openid", OidcClient.NewPkce()));
        Assert.That(unknownClient.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(unknownClient.Headers.Location, Is.Null);

        var discovery = await browser.GetAsync("/.well-known/openid-configuration");
        Assert.That(discovery.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_public_client_without_PKCE_is_refused()
    {
        var (_, browser) = await SignedInUserAsync();
        var response = await browser.GetAsync(OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, "openid", pkce: null));

        await AssertRefusedOnErrorPageAsync(response, "code_challenge");
    }

    [Test]
    public async Task The_plain_code_challenge_method_is_refused()
    {
        var (_, browser) = await SignedInUserAsync();
        var url = OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce: null, new Dictionary<string, string?>
        {
            ["code_challenge"] = "plain-challenge-plain-challenge-plain-challenge-1234",
            ["code_challenge_method"] = "plain",
        });
        var response = await browser.GetAsync(url);

        await AssertRefusedOnErrorPageAsync(response, "code_challenge_method");
    }

    [Test]
    public async Task A_code_verifier_for_a_request_without_a_challenge_is_refused()
    {
        // PKCE downgrade (RFC 9700 §4.8.2): a verifier is only valid when a challenge was sent.
        var (_, browser) = await SignedInUserAsync();
        var callback = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce: null));
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, OidcClient.Query(callback)["code"], ConfidentialRedirect,
            OidcClient.NewPkce(), ConfidentialClientId, ConfidentialSecret);

        Assert.That(tokens.Error, Is.AnyOf("invalid_request", "invalid_grant"));
        Assert.That(tokens.Has("access_token"), Is.False);
    }

    [Test]
    public async Task A_confidential_client_may_skip_PKCE()
    {
        var (_, browser) = await SignedInUserAsync();
        var callback = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce: null));
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, OidcClient.Query(callback)["code"], ConfidentialRedirect, null, ConfidentialClientId, ConfidentialSecret);

        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Json.ToString());
    }

    [Test]
    public async Task Prompt_none_without_a_session_is_login_required()
    {
        var callback = await OidcClient.AuthorizeAsync(NewBrowser(), OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["prompt"] = "none" }));

        Assert.That(OidcClient.Query(callback)["error"], Is.EqualTo("login_required"));
    }

    [Test]
    public async Task Prompt_none_with_a_session_issues_a_code_without_any_page()
    {
        var (_, browser) = await SignedInUserAsync();
        var response = await browser.GetAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["prompt"] = "none" }));

        Assert.That(Browser.IsRedirect(response), Is.True);
        Assert.That(OidcClient.Query(browser.RedirectTarget(response)).ContainsKey("code"), Is.True);
    }

    [Test]
    public async Task After_rp_initiated_logout_prompt_none_is_login_required()
    {
        var (_, browser) = await SignedInUserAsync();
        var tokens = await WebClientTokensAsync(browser, "openid");

        var logout = await browser.GetAsync("/connect/endsession?id_token_hint=" + tokens.Get("id_token")
            + "&post_logout_redirect_uri=" + Uri.EscapeDataString(ConfidentialPostLogout) + "&state=bye");
        Assert.That(Browser.IsRedirect(logout), Is.True);
        var target = browser.RedirectTarget(logout);
        Assert.That(target.GetLeftPart(UriPartial.Path), Is.EqualTo(ConfidentialPostLogout));
        Assert.That(OidcClient.Query(target)["state"], Is.EqualTo("bye"));

        var silent = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["prompt"] = "none" }));
        Assert.That(OidcClient.Query(silent)["error"], Is.EqualTo("login_required"));
    }

    [Test]
    public async Task Logout_to_an_unregistered_post_logout_uri_is_an_error_page()
    {
        var (_, browser) = await SignedInUserAsync();
        var response = await browser.GetAsync("/connect/endsession?client_id=" + ConfidentialClientId
            + "&post_logout_redirect_uri=" + Uri.EscapeDataString("https://evil.test/bye"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Headers.Location, Is.Null);
    }

    [Test]
    public async Task Logout_without_id_token_hint_asks_before_signing_out()
    {
        var (_, browser) = await SignedInUserAsync();
        var (response, page) = await browser.OpenAsync("/connect/endsession");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.QuerySelector("button[value=signout]"), Is.Not.Null);

        // Still signed in until the person confirms.
        var silent = await browser.GetAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["prompt"] = "none" }));
        Assert.That(OidcClient.Query(browser.RedirectTarget(silent)).ContainsKey("code"), Is.True);

        await browser.SubmitAsync(page, new Dictionary<string, string>(), submitter: ("plinto_decision", "signout"));
        var after = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["prompt"] = "none" }));
        Assert.That(OidcClient.Query(after)["error"], Is.EqualTo("login_required"));
    }

    [Test]
    public async Task Prompt_login_forces_a_new_sign_in_even_with_a_session()
    {
        var (email, browser) = await SignedInUserAsync();
        var response = await browser.GetAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["prompt"] = "login" }));

        Assert.That(Browser.IsRedirect(response), Is.True);
        var target = browser.RedirectTarget(response);
        Assert.That(target.AbsolutePath, Is.EqualTo("/account/signin"));

        var callback = await OidcClient.AuthorizeAsync(browser, target.PathAndQuery, email, UniqueUser.Password);
        Assert.That(OidcClient.Query(callback).ContainsKey("code"), Is.True, "after signing in again the flow completes without looping");
    }

    [Test]
    public async Task Max_age_zero_forces_re_authentication_and_auth_time_is_fresh()
    {
        var (email, browser) = await SignedInUserAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var pkce = OidcClient.NewPkce();
        var url = OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce, new Dictionary<string, string?> { ["max_age"] = "0" });

        var first = await browser.GetAsync(url);
        Assert.That(browser.RedirectTarget(first).AbsolutePath, Is.EqualTo("/account/signin"));

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var callback = await OidcClient.AuthorizeAsync(browser, url, email, UniqueUser.Password);
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, OidcClient.Query(callback)["code"], ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);
        var idToken = await Jwks.ValidateAsync(browser.Client, tokens.Get("id_token"), ConfidentialClientId);
        Assert.That(long.Parse(idToken.Claim("auth_time")), Is.GreaterThanOrEqualTo(before - 1));
    }

    [Test]
    public async Task Login_hint_prefills_the_sign_in_page()
    {
        var browser = NewBrowser();
        var (_, page) = await browser.OpenAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["login_hint"] = "hint@example.test", ["ui_locales"] = "fr-CA en" }));

        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/signin"));
        Assert.That(page.QuerySelector("input[name='Input.Email']")!.GetAttribute("value"), Is.EqualTo("hint@example.test"));
        Assert.That(page.DocumentElement.GetAttribute("lang"), Is.EqualTo("en"), "unsupported ui_locales fall back without an error");
        Assert.That(page.QuerySelector("h1")!.TextContent, Is.EqualTo("Sign in to Test web app"));
    }

    [Test]
    public async Task Explicit_consent_is_asked_once_then_remembered_and_asked_again_for_prompt_consent()
    {
        var (_, browser) = await SignedInUserAsync();
        var pkce = OidcClient.NewPkce();
        var url = OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, "openid profile", pkce);

        var (response, page) = await browser.OpenAsync(url);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.QuerySelector("h1")!.TextContent, Does.Contain("Test single-page app"));

        var callback = await OidcClient.AuthorizeAsync(browser, url);
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, OidcClient.Query(callback)["code"], PublicRedirect, pkce, PublicClientId, null);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Json.ToString());

        var remembered = await browser.GetAsync(OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, "openid profile", OidcClient.NewPkce()));
        Assert.That(Browser.IsRedirect(remembered) && OidcClient.Query(browser.RedirectTarget(remembered)).ContainsKey("code"), Is.True,
            "consent is remembered");

        var again = await browser.GetAsync(OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, "openid profile", OidcClient.NewPkce(),
            new Dictionary<string, string?> { ["prompt"] = "consent" }));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), "prompt=consent shows the consent page again");
    }

    [Test]
    public async Task A_remembered_consent_covers_only_its_scopes_its_client_and_only_while_it_is_valid()
    {
        var (email, browser) = await SignedInUserAsync();
        var granted = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, "openid", OidcClient.NewPkce()));
        Assert.That(OidcClient.Query(granted), Does.ContainKey("code"));

        // The same scopes, or fewer: remembered. More: asked again (the remembered authorization must grant a superset).
        Assert.That(await IssuesCodeAtOnceAsync(browser, "openid"), Is.True, "the consented scope");
        Assert.That(await IssuesCodeAtOnceAsync(browser, "openid profile"), Is.False, "a scope never consented to");

        // Another person's consent counts for nobody else.
        var (_, other) = await SignedInUserAsync();
        Assert.That(await IssuesCodeAtOnceAsync(other, "openid"), Is.False, "another account");

        // Revoked (the account center's "remove access"): asked again.
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            var subject = (await users.FindByEmailAsync(email))!.Id;
            var client = await applications.GetIdAsync((await applications.FindByClientIdAsync(PublicClientId))!);
            var revoked = await authorizations.RevokeAsync(subject, client!, Statuses.Valid, AuthorizationTypes.Permanent);
            Assert.That(revoked, Is.EqualTo(1), "one remembered consent");
        }

        Assert.That(await IssuesCodeAtOnceAsync(browser, "openid"), Is.False, "a revoked consent");
    }

    /// <summary>True when an authorization request of the explicit-consent client is answered with a code, without the consent page.</summary>
    private static async Task<bool> IssuesCodeAtOnceAsync(Browser browser, string scope)
    {
        var response = await browser.GetAsync(OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, scope, OidcClient.NewPkce()));
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return false; // the consent page
        }

        Assert.That(Browser.IsRedirect(response), Is.True, response.StatusCode.ToString());
        return OidcClient.Query(browser.RedirectTarget(response)).ContainsKey("code");
    }

    [Test]
    public async Task Denying_consent_returns_access_denied()
    {
        var (_, browser) = await SignedInUserAsync();
        var callback = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, "openid", OidcClient.NewPkce()), consent: false);

        Assert.That(OidcClient.Query(callback)["error"], Is.EqualTo("access_denied"));
    }

    [Test]
    public async Task Prompt_none_without_consent_is_consent_required()
    {
        var (_, browser) = await SignedInUserAsync();
        var callback = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["prompt"] = "none" }));

        Assert.That(OidcClient.Query(callback)["error"], Is.EqualTo("consent_required"));
    }

    [Test]
    public async Task A_consent_decision_without_the_antiforgery_token_is_refused()
    {
        var (_, browser) = await SignedInUserAsync();
        var url = OidcClient.AuthorizeUrl(PublicClientId, PublicRedirect, "openid", OidcClient.NewPkce());
        var (_, page) = await browser.OpenAsync(url);

        var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["__RequestVerificationToken"] = "forged" },
            submitter: ("plinto_decision", "accept"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Headers.Location, Is.Null);
    }

    /// <summary>
    /// A request that fails validation is answered on Plinto's error page, never with a redirect carrying a code
    /// (OpenIddict redirects only requests that passed validation; see docs/configuration.md).
    /// </summary>
    private static async Task AssertRefusedOnErrorPageAsync(HttpResponseMessage response, string mentioned)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Headers.Location, Is.Null);
        var page = await Browser.ReadPageAsync(response);
        Assert.That(page.QuerySelector("code")!.TextContent, Is.EqualTo("invalid_request"));
        Assert.That(page.QuerySelector("[role=alert]")!.TextContent, Does.Contain(mentioned));
    }
}
