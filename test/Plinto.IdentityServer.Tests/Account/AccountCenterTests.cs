using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>/account/manage: profile, email, password, sessions, connected apps, two-step verification.</summary>
internal sealed class AccountCenterTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private const string FirefoxOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0";

    [Test]
    public async Task The_account_center_needs_a_session()
    {
        var response = await NewBrowser().GetAsync("/account/manage/sessions");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location!.ToString(), Does.Contain("/account/signin"));
    }

    [Test]
    public async Task Profile_changes_reach_userinfo_and_a_picture_must_be_https()
    {
        var (_, browser) = await SignedInUserAsync();
        var (_, page) = await browser.OpenAsync("/account/manage");
        var refused = await Browser.ReadPageAsync(await browser.SubmitAsync(page, new Dictionary<string, string>
        {
            ["Input.Name"] = "Ada Lovelace",
            ["Input.Picture"] = "javascript:alert(1)",
        }));
        Assert.That(refused.QuerySelector(".error-summary")!.TextContent, Does.Contain("https://"));

        var saved = await browser.SubmitAsync(refused, new Dictionary<string, string>
        {
            ["Input.Name"] = "Ada Lovelace",
            ["Input.GivenName"] = "Ada",
            ["Input.FamilyName"] = "Lovelace",
            ["Input.Picture"] = "https://images.example.test/ada.png",
        });
        Assert.That(Browser.IsRedirect(saved), Is.True);

        var tokens = await WebClientTokensAsync(browser, "openid profile");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Get("access_token"));
        var userinfo = JsonDocument.Parse(await (await browser.Client.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;
        Assert.That(userinfo.GetProperty("name").GetString(), Is.EqualTo("Ada Lovelace"));
        Assert.That(userinfo.GetProperty("family_name").GetString(), Is.EqualTo("Lovelace"));
        Assert.That(userinfo.GetProperty("picture").GetString(), Is.EqualTo("https://images.example.test/ada.png"));
    }

    [Test]
    public async Task A_password_change_keeps_or_ends_the_other_sessions_as_chosen()
    {
        var (email, mine) = await SignedInUserAsync();
        var other = NewBrowser();
        await SignInAsync(other, email, UniqueUser.Password);
        var otherRefresh = (await WebClientTokensAsync(other, "openid offline_access")).Get("refresh_token");

        // Wrong current password: nothing changes.
        Assert.That(await ChangePasswordAsync(mine, "not my password", "first new passphrase 11", signOutOthers: true), Does.Contain("not right"));

        // Keep the others: the other browser and its app go on.
        Assert.That(await ChangePasswordAsync(mine, UniqueUser.Password, "first new passphrase 11", signOutOthers: false), Is.Null);
        Assert.That(await StatusAsync(other, "/account/manage"), Is.EqualTo(HttpStatusCode.OK));
        var refreshed = await OidcClient.RefreshAsync(other.Client, otherRefresh, ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Json.ToString());
        await MailDrop.WaitForAsync(Factory.MailFolder, email, "Your password was changed");

        // Sign out the others: the other browser and its app end, this browser stays.
        Assert.That(await ChangePasswordAsync(mine, "first new passphrase 11", "second new passphrase 22", signOutOthers: true), Is.Null);
        Assert.That(await StatusAsync(other, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect));
        var ended = await OidcClient.RefreshAsync(other.Client, refreshed.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(ended.Error, Is.EqualTo("invalid_grant"));
        Assert.That(await StatusAsync(mine, "/account/manage"), Is.EqualTo(HttpStatusCode.OK));

        var (_, message) = await SignInAsync(NewBrowser(), email, "second new passphrase 22");
        Assert.That(message, Is.Empty);
    }

    [Test]
    public async Task A_new_email_address_takes_effect_only_through_the_link_sent_to_it()
    {
        var (email, browser) = await SignedInUserAsync();
        var newEmail = UniqueUser.Email("moved");
        var (_, page) = await browser.OpenAsync("/account/manage/email");
        var sent = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.NewEmail"] = newEmail, ["Input.Password"] = UniqueUser.Password });
        Assert.That(Browser.IsRedirect(sent), Is.True);
        await MailDrop.WaitForAsync(Factory.MailFolder, email, "about to change");

        // Nothing changed yet.
        Assert.That((await SignInAsync(NewBrowser(), email, UniqueUser.Password)).Message, Is.Empty);

        var link = new Uri(MailDrop.FirstLink(await MailDrop.WaitForAsync(Factory.MailFolder, newEmail, "Confirm your new email address"), "/account/confirm-email-change")).PathAndQuery;
        var elsewhere = NewBrowser();
        var (_, done) = await elsewhere.OpenAsync(link);
        Assert.That(done.QuerySelector("h1")!.TextContent, Is.EqualTo("Email address changed"));
        Assert.That((await SignInAsync(NewBrowser(), newEmail, UniqueUser.Password)).Message, Is.Empty);
        Assert.That((await SignInAsync(NewBrowser(), email, UniqueUser.Password)).Message, Is.Not.Empty, "the old address no longer signs in");
        Assert.That(await StatusAsync(browser, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect), "sessions ended with the change");

        var (_, again) = await NewBrowser().OpenAsync(link);
        Assert.That(again.QuerySelector("h1")!.TextContent, Is.EqualTo("Link not valid"), "the link works once");
    }

    [Test]
    public async Task Asking_for_an_address_of_another_account_says_the_same_and_tells_its_owner()
    {
        var owner = UniqueUser.Email("owner");
        await Factory.CreateUserAsync(owner, UniqueUser.Password);
        var (email, browser) = await SignedInUserAsync();
        var (_, page) = await browser.OpenAsync("/account/manage/email");
        var response = await browser.FollowAsync(await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.NewEmail"] = owner, ["Input.Password"] = UniqueUser.Password }));
        var status = (await Browser.ReadPageAsync(response)).QuerySelector("p.notice")!.TextContent;
        Assert.That(status, Does.Contain($"We sent a link to {owner}"));
        await MailDrop.WaitForAsync(Factory.MailFolder, owner, "Someone tried");
        Assert.That(MailDrop.Find(Factory.MailFolder, owner).Where(m => m.Subject?.Contains("Confirm your new", StringComparison.Ordinal) == true), Is.Empty);
        Assert.That((await SignInAsync(NewBrowser(), email, UniqueUser.Password)).Message, Is.Empty, "nothing changed");
    }

    [Test]
    public async Task Sessions_are_listed_with_their_device_and_one_can_be_revoked_with_its_tokens()
    {
        var (email, mine) = await SignedInUserAsync();
        var laptop = NewBrowser();
        laptop.Client.DefaultRequestHeaders.UserAgent.ParseAdd(FirefoxOnWindows);
        await SignInAsync(laptop, email, UniqueUser.Password);
        var laptopRefresh = (await WebClientTokensAsync(laptop, "openid offline_access")).Get("refresh_token");

        // Someone else's session, whose id must be useless to this account.
        var (_, stranger) = await SignedInUserAsync();

        var (_, page) = await mine.OpenAsync("/account/manage/sessions");
        var sessions = page.QuerySelectorAll("[data-testid=session]");
        Assert.That(sessions, Has.Length.EqualTo(2));
        Assert.That(sessions.Count(s => s.TextContent.Contains("This browser", StringComparison.Ordinal)), Is.EqualTo(1));
        var other = sessions.Single(s => s.TextContent.Contains("Firefox on Windows", StringComparison.Ordinal));

        var revoke = other.QuerySelector("form")!;
        var response = await mine.Client.PostAsync(revoke.GetAttribute("action"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["id"] = other.QuerySelector("input[name=id]")!.GetAttribute("value")!,
            ["__RequestVerificationToken"] = revoke.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!,
        }));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));

        Assert.That(await StatusAsync(laptop, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect), "the revoked browser is signed out at once");
        var refused = await OidcClient.RefreshAsync(laptop.Client, laptopRefresh, ConfidentialClientId, ConfidentialSecret);
        Assert.That(refused.Error, Is.EqualTo("invalid_grant"), "what the app got through that session ends with it");
        Assert.That(await StatusAsync(mine, "/account/manage"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await StatusAsync(stranger, "/account/manage"), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Signing_out_everywhere_ends_every_session_and_every_token()
    {
        var (email, mine) = await SignedInUserAsync();
        var other = NewBrowser();
        await SignInAsync(other, email, UniqueUser.Password);
        var refresh = (await WebClientTokensAsync(other, "openid offline_access")).Get("refresh_token");

        var (_, page) = await mine.OpenAsync("/account/manage/sessions");
        await mine.SubmitAsync(page, new Dictionary<string, string>(), "form[action$='handler=Everywhere']");

        Assert.That(await StatusAsync(mine, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(await StatusAsync(other, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That((await OidcClient.RefreshAsync(other.Client, refresh, ConfidentialClientId, ConfidentialSecret)).Error, Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task Signing_out_ends_the_browser_session_but_applications_keep_offline_access()
    {
        var (_, browser) = await SignedInUserAsync();
        var refresh = (await WebClientTokensAsync(browser, "openid offline_access")).Get("refresh_token");
        var (_, page) = await browser.OpenAsync("/account/signout");
        await browser.SubmitAsync(page, new Dictionary<string, string>());

        Assert.That(await StatusAsync(browser, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect));
        var refreshed = await OidcClient.RefreshAsync(browser.Client, refresh, ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Json.ToString());
    }

    [Test]
    public async Task Removing_a_connected_app_ends_its_refresh_tokens()
    {
        var (_, browser) = await SignedInUserAsync();
        var refresh = (await WebClientTokensAsync(browser, "openid offline_access")).Get("refresh_token");

        var (_, page) = await browser.OpenAsync("/account/manage/apps");
        var app = page.QuerySelectorAll("[data-testid=app]").Single();
        Assert.That(app.TextContent, Does.Contain("Test web app").And.Contain("offline_access"));
        await browser.SubmitAsync(page, new Dictionary<string, string>(), "[data-testid=app] form");

        Assert.That((await OidcClient.RefreshAsync(browser.Client, refresh, ConfidentialClientId, ConfidentialSecret)).Error, Is.EqualTo("invalid_grant"));
        var (_, after) = await browser.OpenAsync("/account/manage/apps");
        Assert.That(after.QuerySelectorAll("[data-testid=app]"), Is.Empty);
    }

    [Test]
    public async Task Recovery_codes_can_be_replaced_and_two_step_turned_off_with_the_password()
    {
        var (email, browser) = await SignedInUserAsync();
        var (_, oldCodes) = await MfaTests.EnrollAsync(browser);
        var (_, page) = await browser.OpenAsync("/account/manage/mfa");
        Assert.That(page.QuerySelector("[data-testid=recovery-count]")!.TextContent, Is.EqualTo("10"));

        var regenerated = await Browser.ReadPageAsync(await browser.SubmitAsync(page, new Dictionary<string, string>(), "form[action$='handler=Regenerate']"));
        var newCodes = regenerated.QuerySelectorAll("ul.recovery-codes code").Select(c => c.TextContent).ToList();
        Assert.That(newCodes, Has.Count.EqualTo(10).And.No.AnyOf(oldCodes.ToArray()));

        var signIn = NewBrowser();
        await SignInAsync(signIn, email, UniqueUser.Password);
        Assert.That(await MfaTests.SubmitCodeAsync(signIn, oldCodes[0]), Is.Not.Null, "old codes were replaced");
        Assert.That(await MfaTests.SubmitCodeAsync(signIn, newCodes[0]), Is.Null);

        (_, page) = await browser.OpenAsync("/account/manage/mfa");
        var wrong = await Browser.ReadPageAsync(await browser.SubmitAsync(page, new Dictionary<string, string> { ["Password"] = "wrong password" }, "form[action$='handler=Disable']"));
        Assert.That(wrong.QuerySelector(".error-summary"), Is.Not.Null);
        await browser.SubmitAsync(wrong, new Dictionary<string, string> { ["Password"] = UniqueUser.Password }, "form[action$='handler=Disable']");

        var plain = NewBrowser();
        var (_, message) = await SignInAsync(plain, email, UniqueUser.Password);
        Assert.That(message, Is.Empty);
        Assert.That(await StatusAsync(plain, "/account/manage"), Is.EqualTo(HttpStatusCode.OK), "one step again");
        Assert.That(await StatusAsync(browser, "/account/manage"), Is.EqualTo(HttpStatusCode.OK), "the browser that turned it off stays signed in");
    }

    [Test]
    public async Task Adding_or_removing_a_factor_ends_the_other_sessions_and_their_grants()
    {
        var (email, mine) = await SignedInUserAsync();
        var other = NewBrowser();
        await SignInAsync(other, email, UniqueUser.Password);
        var otherRefresh = (await WebClientTokensAsync(other, "openid offline_access")).Get("refresh_token");

        // Turning the authenticator app on.
        var (_, codes) = await MfaTests.EnrollAsync(mine);
        Assert.That(await StatusAsync(other, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect), "enabling the app ended the other session");
        Assert.That((await OidcClient.RefreshAsync(other.Client, otherRefresh, ConfidentialClientId, ConfidentialSecret)).Error, Is.EqualTo("invalid_grant"));
        Assert.That(await StatusAsync(mine, "/account/manage"), Is.EqualTo(HttpStatusCode.OK));

        // Turning it off.
        other = NewBrowser();
        await SignInAsync(other, email, UniqueUser.Password);
        Assert.That(await MfaTests.SubmitCodeAsync(other, codes[0]), Is.Null);
        var (_, page) = await mine.OpenAsync("/account/manage/mfa");
        await mine.SubmitAsync(page, new Dictionary<string, string> { ["Password"] = UniqueUser.Password }, "form[action$='handler=Disable']");
        Assert.That(await StatusAsync(other, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect), "disabling the app ended the other session");
        Assert.That(await StatusAsync(mine, "/account/manage"), Is.EqualTo(HttpStatusCode.OK));

        // Removing a passkey (stored directly: the ceremony itself is tested in Chromium).
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            var user = (await users.FindByEmailAsync(email))!;
            var passkey = new UserPasskeyInfo(Guid.NewGuid().ToByteArray(), [1, 2, 3], DateTimeOffset.UtcNow, 0, ["internal"], true, false, false, [0], [0]) { Name = "Old phone" };
            Assert.That((await users.AddOrUpdatePasskeyAsync(user, passkey)).Succeeded, Is.True);
        }

        other = NewBrowser();
        await SignInAsync(other, email, UniqueUser.Password);
        Assert.That(await StatusAsync(other, "/account/manage"), Is.EqualTo(HttpStatusCode.OK));
        (_, page) = await mine.OpenAsync("/account/manage/passkeys");
        await mine.SubmitAsync(page, new Dictionary<string, string>(), "[data-testid=passkey] form[action$='handler=Remove']");
        Assert.That(await StatusAsync(other, "/account/manage"), Is.EqualTo(HttpStatusCode.Redirect), "removing a passkey ended the other session");
        Assert.That(await StatusAsync(mine, "/account/manage"), Is.EqualTo(HttpStatusCode.OK));
    }

    private static async Task<HttpStatusCode> StatusAsync(Browser browser, string path)
    {
        using var response = await browser.GetAsync(path);
        return response.StatusCode;
    }

    private static async Task<string?> ChangePasswordAsync(Browser browser, string current, string next, bool signOutOthers)
    {
        var (_, page) = await browser.OpenAsync("/account/manage/password");
        var values = new Dictionary<string, string> { ["Input.CurrentPassword"] = current, ["Input.NewPassword"] = next };
        if (!signOutOthers)
        {
            values["Input.SignOutOtherSessions"] = "false";
        }

        var response = await browser.SubmitAsync(page, values);
        return Browser.IsRedirect(response) ? null : (await Browser.ReadPageAsync(response)).QuerySelector(".error-summary")?.TextContent ?? "(no message)";
    }
}
