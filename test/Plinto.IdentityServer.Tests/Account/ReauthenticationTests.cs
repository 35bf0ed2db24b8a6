using System.Net;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>
/// SECURITY-CHECKLIST "Re-authenticate before changing email, password, MFA factors or passkeys": the current
/// password for email and password changes, a sign-in within the last 10 minutes for factors.
/// The fixture's clock moves forward only; every test signs in afresh.
/// </summary>
internal sealed class ReauthenticationTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private readonly TestTime time = new();

    protected override TestTime Time => time;

    [Test]
    public async Task Adding_or_removing_a_passkey_needs_a_recent_sign_in()
    {
        var (_, browser) = await SignedInUserAsync();
        var (_, fresh) = await browser.OpenAsync("/account/manage/passkeys");
        Assert.That(fresh.QuerySelector("form[data-passkey=create]"), Is.Not.Null);

        time.Advance(TimeSpan.FromMinutes(11));
        var (_, stale) = await browser.OpenAsync("/account/manage/passkeys");
        Assert.That(stale.QuerySelector("form[data-passkey=create]"), Is.Null);
        Assert.That(stale.QuerySelector("a.button")!.TextContent, Is.EqualTo("Confirm it's you"));
        var options = await browser.GetAsync("/account/manage/passkeys?handler=CreationOptions");
        Assert.That(options.StatusCode, Is.Not.EqualTo(HttpStatusCode.OK), "no ceremony without a recent sign-in");
    }

    [Test]
    public async Task Setting_up_an_authenticator_app_needs_a_recent_sign_in()
    {
        var (_, browser) = await SignedInUserAsync();
        time.Advance(TimeSpan.FromMinutes(11));
        var response = await browser.GetAsync("/account/mfa/setup");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(browser.RedirectTarget(response).AbsolutePath, Is.EqualTo("/account/signin"));
    }

    [Test]
    public async Task New_recovery_codes_need_a_recent_sign_in()
    {
        var (_, browser) = await SignedInUserAsync();
        await MfaTests.EnrollAsync(browser, time.GetUtcNow());
        var (_, page) = await browser.OpenAsync("/account/manage/mfa");
        time.Advance(TimeSpan.FromMinutes(11));

        var response = await browser.SubmitAsync(page, new Dictionary<string, string>(), "form[action$='handler=Regenerate']");
        Assert.That(Browser.IsRedirect(response), Is.True);
        Assert.That(browser.RedirectTarget(response).AbsolutePath, Is.EqualTo("/account/signin"));
        var (_, after) = await browser.OpenAsync("/account/manage/mfa");
        Assert.That(after.QuerySelector("[data-testid=recovery-count]")!.TextContent, Is.EqualTo("10"), "the codes were not replaced");
    }

    [Test]
    public async Task Changing_the_email_address_needs_the_current_password()
    {
        var (email, browser) = await SignedInUserAsync();
        var (_, page) = await browser.OpenAsync("/account/manage/email");
        var response = await browser.SubmitAsync(page, new Dictionary<string, string>
        {
            ["Input.NewEmail"] = UniqueUser.Email("elsewhere"),
            ["Input.Password"] = "not the password",
        });
        Assert.That(Browser.IsRedirect(response), Is.False);
        Assert.That((await Browser.ReadPageAsync(response)).QuerySelector(".error-summary")!.TextContent, Does.Contain("password is not right"));
        await Task.Delay(300);
        Assert.That(MailDrop.Find(Factory.MailFolder, email).Where(m => m.Subject?.Contains("about to change", StringComparison.Ordinal) == true), Is.Empty);
    }
}
