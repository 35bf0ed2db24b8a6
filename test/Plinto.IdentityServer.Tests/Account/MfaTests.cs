using System.Net;
using System.Text.Json;
using AngleSharp.Html.Dom;
using Microsoft.IdentityModel.JsonWebTokens;
using Plinto.IdentityServer.Account.Mfa;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>Two-step sign-in with an authenticator app and recovery codes; step-up by acr_values.</summary>
internal sealed class MfaTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private const string MfaAcr = "urn:plinto:acr:mfa";

    [TestCase(59, "287082")]
    [TestCase(1111111109, "081804")]
    [TestCase(1111111111, "050471")]
    [TestCase(1234567890, "005924")]
    [TestCase(2000000000, "279037")]
    [TestCase(20000000000, "353130")]
    public void Totp_matches_the_RFC_6238_SHA1_test_vectors(long unixTime, string expected)
    {
        // RFC 6238 Appendix B, SHA-1 seed "12345678901234567890", last six of the eight digits.
        var secret = "12345678901234567890"u8.ToArray();
        Assert.That(Totp.Code(secret, Totp.TimeStep(DateTimeOffset.FromUnixTimeSeconds(unixTime))), Is.EqualTo(expected));
        Assert.That(TestTotp.Code(Base32.Encode(secret), DateTimeOffset.FromUnixTimeSeconds(unixTime)), Is.EqualTo(expected));
    }

    [Test]
    public async Task Enrolling_an_authenticator_turns_on_two_step_sign_in_with_single_use_codes()
    {
        var (email, browser) = await SignedInUserAsync();
        var (secret, codes) = await EnrollAsync(browser);
        Assert.That(codes, Has.Count.EqualTo(10).And.All.Match("^[a-z2-7]{5}-[a-z2-7]{5}$"));
        Assert.That(codes.Distinct().Count(), Is.EqualTo(10));

        // The next sign-in stops after the password: no session until the second step.
        var second = NewBrowser();
        var (_, message) = await SignInAsync(second, email, UniqueUser.Password);
        Assert.That(message, Is.Empty);
        Assert.That(second.LastUrlAfterRedirect(await second.GetAsync("/connect/authorize?" + AuthorizeQuery(OidcClient.NewPkce()))), Does.StartWith("/account/signin"),
            "the password alone is not a session");

        // The enrolment used the current time step; the next one (within the ±1 step window) signs in.
        var code = TestTotp.Code(secret, DateTimeOffset.UtcNow, stepOffset: 1);
        Assert.That(await SubmitCodeAsync(second, code), Is.Null);

        // The same code again, in another sign-in: refused (RFC 6238 §5.2).
        var third = NewBrowser();
        await SignInAsync(third, email, UniqueUser.Password);
        Assert.That(await SubmitCodeAsync(third, code), Does.Contain("already used"));
    }

    [Test]
    public async Task A_recovery_code_signs_in_once()
    {
        var (email, browser) = await SignedInUserAsync();
        var (_, codes) = await EnrollAsync(browser);

        var first = NewBrowser();
        await SignInAsync(first, email, UniqueUser.Password);
        Assert.That(await SubmitCodeAsync(first, codes[3].ToUpperInvariant()), Is.Null, "case and dash do not matter");

        var again = NewBrowser();
        await SignInAsync(again, email, UniqueUser.Password);
        Assert.That(await SubmitCodeAsync(again, codes[3]), Is.Not.Null, "a used recovery code is refused");
        Assert.That(await SubmitCodeAsync(again, codes[4]), Is.Null, "another one still works");
    }

    [Test]
    public async Task Wrong_codes_lock_the_account_like_wrong_passwords()
    {
        var (email, browser) = await SignedInUserAsync();
        var (secret, _) = await EnrollAsync(browser);
        var attacker = NewBrowser();
        await SignInAsync(attacker, email, UniqueUser.Password);
        for (var i = 0; i < 5; i++)
        {
            Assert.That(await SubmitCodeAsync(attacker, "000000"), Is.Not.Null);
        }

        // Locked: even the right code is refused now, and so is the password.
        Assert.That(await SubmitCodeAsync(attacker, TestTotp.Code(secret, DateTimeOffset.UtcNow, 1)), Is.Not.Null);
        var (_, message) = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(message, Is.Not.Empty);
    }

    [Test]
    public async Task Tokens_tell_how_the_person_signed_in()
    {
        var (email, browser) = await SignedInUserAsync();
        var single = new JsonWebToken((await WebClientTokensAsync(browser, "openid")).Get("id_token"));
        Assert.That(single.GetClaim("acr").Value, Is.EqualTo("urn:plinto:acr:1fa"));
        Assert.That(Amr(single), Is.EqualTo(new[] { "pwd" }));

        var (_, codes) = await EnrollAsync(browser);
        var signedIn = NewBrowser();
        await SignInAsync(signedIn, email, UniqueUser.Password);
        Assert.That(await SubmitCodeAsync(signedIn, codes[0]), Is.Null);
        var tokens = await WebClientTokensAsync(signedIn, "openid offline_access");
        var id = new JsonWebToken(tokens.Get("id_token"));
        Assert.That(id.GetClaim("acr").Value, Is.EqualTo(MfaAcr));
        Assert.That(Amr(id), Is.EquivalentTo(new[] { "pwd", "otp", "mfa" }));

        // A refreshed ID token still says so.
        var refreshed = await OidcClient.RefreshAsync(signedIn.Client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(new JsonWebToken(refreshed.Get("id_token")).GetClaim("acr").Value, Is.EqualTo(MfaAcr));

        var discovery = JsonDocument.Parse(await Factory.CreateClient().GetStringAsync("/.well-known/openid-configuration")).RootElement;
        Assert.That(discovery.GetProperty("acr_values_supported").EnumerateArray().Select(v => v.GetString()), Does.Contain(MfaAcr));
    }

    [Test]
    public async Task A_client_asking_for_mfa_gets_a_step_up_of_a_password_session()
    {
        var (_, browser) = await SignedInUserAsync();
        var before = new JsonWebToken((await WebClientTokensAsync(browser, "openid")).Get("id_token"));

        // prompt=none cannot step up: the client hears interaction_required.
        var silent = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", OidcClient.NewPkce(),
            new Dictionary<string, string?> { ["acr_values"] = MfaAcr, ["prompt"] = "none" }));
        Assert.That(OidcClient.Query(silent)["error"], Is.EqualTo("interaction_required"));

        // Interactive: the account has no second factor yet, so the step-up enrols one, then comes back.
        var pkce = OidcClient.NewPkce();
        var response = await browser.FollowAsync(await browser.GetAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce,
            new Dictionary<string, string?> { ["acr_values"] = "mfa" })));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/mfa/setup"));
        var page = await Browser.ReadPageAsync(response);
        var secret = page.QuerySelector("[data-testid=totp-secret]")!.TextContent;
        var done = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = TestTotp.Code(secret, DateTimeOffset.UtcNow) });
        var codesPage = await Browser.ReadPageAsync(done);
        var callback = await OidcClient.AuthorizeAsync(browser, codesPage.QuerySelector("a.button")!.GetAttribute("href")!);

        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, OidcClient.Query(callback)["code"], ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);
        var after = new JsonWebToken(tokens.Get("id_token"));
        Assert.That(after.GetClaim("acr").Value, Is.EqualTo(MfaAcr));
        Assert.That(Amr(after), Is.EquivalentTo(new[] { "pwd", "otp", "mfa" }));
        Assert.That(long.Parse(after.GetClaim("auth_time").Value, System.Globalization.CultureInfo.InvariantCulture),
            Is.GreaterThanOrEqualTo(long.Parse(before.GetClaim("auth_time").Value, System.Globalization.CultureInfo.InvariantCulture)), "the step-up is a new authentication");
    }

    [Test]
    public async Task A_step_up_starts_a_new_session_and_ends_the_old_one()
    {
        var email = UniqueUser.Email();
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var (_, signIn) = await browser.OpenAsync("/account/signin");
        var signedIn = await browser.SubmitAsync(signIn, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password });
        var oldCookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.Contains("plinto.session=", StringComparison.Ordinal)).Split(';')[0];

        // Step-up through enrolment (the account has no second factor yet).
        var (_, setup) = await browser.OpenAsync("/account/mfa/setup");
        var secret = setup.QuerySelector("[data-testid=totp-secret]")!.TextContent;
        await browser.SubmitAsync(setup, new Dictionary<string, string> { ["Code"] = TestTotp.Code(secret, DateTimeOffset.UtcNow) });

        // The cookie from before the step-up names a session that no longer exists (no session fixation).
        using var stale = Factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/manage");
        request.Headers.Add("Cookie", oldCookie);
        var response = await stale.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the old session ended");
        Assert.That((await browser.GetAsync("/account/manage")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "the new one is live");
    }

    [Test]
    public async Task A_password_reset_does_not_bypass_the_second_factor()
    {
        var (email, browser) = await SignedInUserAsync();
        await EnrollAsync(browser);

        var someone = NewBrowser();
        var (_, forgot) = await someone.OpenAsync("/account/forgot-password");
        await someone.SubmitAsync(forgot, new Dictionary<string, string> { ["Input.Email"] = email });
        var message = await MailDrop.WaitForAsync(Factory.MailFolder, email, "Reset your password");
        var (_, reset) = await someone.OpenAsync(new Uri(MailDrop.FirstLink(message, "/account/reset-password")).PathAndQuery);
        await someone.SubmitAsync(reset, new Dictionary<string, string> { ["Input.Password"] = "a brand new passphrase 77" });

        var (_, result) = await SignInAsync(someone, email, "a brand new passphrase 77");
        Assert.That(result, Is.Empty);
        var next = await someone.FollowAsync(await someone.GetAsync("/connect/authorize?" + AuthorizeQuery(OidcClient.NewPkce())));
        Assert.That(someone.LastUrl!.AbsolutePath, Is.EqualTo("/account/signin"), "no session without the second factor: " + next.StatusCode);
        var (_, mfaPage) = await someone.OpenAsync("/account/mfa");
        Assert.That(mfaPage.QuerySelector("input[name=Code]"), Is.Not.Null, "the reset led to the second step, not to a session");
    }

    /// <summary>Enrols from the account center's set-up page; returns the secret and the recovery codes shown once.</summary>
    /// <param name="now">The server's clock, when a fixture moves it.</param>
    internal static async Task<(string Secret, IReadOnlyList<string> RecoveryCodes)> EnrollAsync(Browser browser, DateTimeOffset? now = null)
    {
        var (_, page) = await browser.OpenAsync("/account/mfa/setup");
        var secret = page.QuerySelector("[data-testid=totp-secret]")?.TextContent
            ?? throw new AssertionException("No secret on the set-up page: " + page.Body?.TextContent);
        Assert.That(page.QuerySelector("img.qr")!.GetAttribute("src"), Does.StartWith("data:image/png;base64,"));

        var wrong = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = "123456" });
        var retry = await Browser.ReadPageAsync(wrong);
        Assert.That(retry.QuerySelector(".error-summary"), Is.Not.Null, "a wrong first code is refused");

        var done = await browser.SubmitAsync(retry, new Dictionary<string, string> { ["Code"] = TestTotp.Code(secret, now ?? DateTimeOffset.UtcNow) });
        var codes = (await Browser.ReadPageAsync(done)).QuerySelectorAll("ul.recovery-codes code").Select(c => c.TextContent).ToList();
        Assert.That(codes, Has.Count.EqualTo(10), "enrolment finished with recovery codes");
        return (secret, codes);
    }

    /// <summary>Submits the second-step page; null when it let the person in, else the error shown.</summary>
    internal static async Task<string?> SubmitCodeAsync(Browser browser, string code)
    {
        var (_, page) = await browser.OpenAsync("/account/mfa");
        if (page.QuerySelector("input[name=Code]") is null)
        {
            throw new AssertionException($"Not on the second-step page ({browser.LastUrl}): {page.Body?.TextContent}");
        }

        var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = code });
        return Browser.IsRedirect(response) ? null : ((IHtmlDocument)await Browser.ReadPageAsync(response)).QuerySelector(".error-summary")?.TextContent.Trim() ?? "(no message)";
    }

    private static string AuthorizeQuery(OidcClient.Pkce pkce) =>
        OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce).Split('?', 2)[1];

    private static string[] Amr(JsonWebToken token) =>
        token.Claims.Where(c => c.Type == "amr").Select(c => c.Value).ToArray();
}
