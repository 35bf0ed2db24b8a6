using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>Sign-up, confirmation, sign-in, password reset through the hosted pages, including the enumeration rules.</summary>
internal sealed class AccountPagesTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task Sign_up_confirm_by_email_then_sign_in()
    {
        var email = UniqueUser.Email("signup");
        var browser = NewBrowser();
        var (_, signUp) = await browser.OpenAsync("/account/signup");
        var created = await browser.FollowAsync(await browser.SubmitAsync(signUp, new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = UniqueUser.Password,
            ["Input.Name"] = "New Person",
        }));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/check-email"));

        // Not confirmed yet: the right password still does not sign in.
        var early = await SignInAsync(browser, email, UniqueUser.Password);
        Assert.That(early.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(early.Message, Does.Contain("Confirm your email"));

        var message = await MailDrop.WaitForAsync(Factory.MailFolder, email, "Confirm your email");
        var link = new Uri(MailDrop.FirstLink(message, "/account/confirm-email"));
        var (confirmed, page) = await browser.OpenAsync(link.PathAndQuery);
        Assert.That(confirmed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.QuerySelector("h1")!.TextContent, Is.EqualTo("Email confirmed"));

        var signedIn = await SignInAsync(browser, email, UniqueUser.Password);
        Assert.That(signedIn.Message, Is.Empty, "signed in");
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("password123")]
    [TestCase("Qwertyuiop")]
    [TestCase("short")]
    public async Task Sign_up_refuses_weak_passwords_and_creates_nothing(string password)
    {
        var email = UniqueUser.Email("weak");
        var browser = NewBrowser();
        var (_, signUp) = await browser.OpenAsync("/account/signup");
        var response = await browser.SubmitAsync(signUp, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var page = await Browser.ReadPageAsync(response);
        Assert.That(page.QuerySelector("[role=alert]")!.TextContent, Does.Contain("password").IgnoreCase);
        await using var scope = Factory.Services.CreateAsyncScope();
        Assert.That(await scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>().FindByEmailAsync(email), Is.Null);
    }

    [Test]
    public async Task Sign_up_with_a_taken_address_looks_the_same_and_tells_the_owner_by_email()
    {
        var email = UniqueUser.Email("taken");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var (_, signUp) = await browser.OpenAsync("/account/signup");
        var response = await browser.SubmitAsync(signUp, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = "another good passphrase 7" });

        Assert.That(Browser.IsRedirect(response), Is.True);
        Assert.That(browser.RedirectTarget(response).AbsolutePath, Is.EqualTo("/account/check-email"));
        await MailDrop.WaitForAsync(Factory.MailFolder, email, "Someone tried to create an account");
    }

    [Test]
    public async Task Sign_in_failure_says_the_same_for_an_unknown_address_and_a_wrong_password()
    {
        var email = UniqueUser.Email();
        await Factory.CreateUserAsync(email, UniqueUser.Password);

        var unknown = await SignInAsync(NewBrowser(), UniqueUser.Email("nobody"), UniqueUser.Password);
        var wrong = await SignInAsync(NewBrowser(), email, "not the password at all");

        Assert.That(unknown.Status, Is.EqualTo(wrong.Status));
        Assert.That(unknown.Message, Is.EqualTo(wrong.Message));
        Assert.That(wrong.Message, Does.Contain("Email or password is incorrect."));
    }

    [Test]
    public async Task Repeated_failures_lock_the_account_temporarily_without_revealing_it()
    {
        var email = UniqueUser.Email("lock");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        for (var i = 0; i < 5; i++)
        {
            await SignInAsync(NewBrowser(), email, "wrong password number " + i);
        }

        // Even the right password is refused while locked, with the usual message.
        var locked = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(locked.Message, Does.Contain("Email or password is incorrect."));

        await using var scope = Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
        var user = await users.FindByEmailAsync(email);
        Assert.That(await users.IsLockedOutAsync(user!), Is.True);
        Assert.That(await users.GetLockoutEndDateAsync(user!), Is.LessThan(DateTimeOffset.UtcNow.AddMinutes(10)), "lockout expires by itself");
    }

    [Test]
    public async Task Forgot_password_answers_the_same_whether_or_not_the_account_exists_and_reset_works()
    {
        var email = UniqueUser.Email("reset");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var nobody = UniqueUser.Email("nobody");

        var existing = await ForgotAsync(email);
        var missing = await ForgotAsync(nobody);
        Assert.That(existing.Status, Is.EqualTo(missing.Status));
        Assert.That(existing.Location, Is.EqualTo(missing.Location));

        var message = await MailDrop.WaitForAsync(Factory.MailFolder, email, "Reset your password");
        Assert.That(MailDrop.Find(Factory.MailFolder, nobody), Is.Empty);

        var browser = NewBrowser();
        var (_, page) = await browser.OpenAsync(new Uri(MailDrop.FirstLink(message, "/account/reset-password")).PathAndQuery);
        const string newPassword = "a brand new passphrase 99";
        var reset = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Password"] = newPassword });
        Assert.That((await Browser.ReadPageAsync(reset)).QuerySelector("h1")!.TextContent, Is.EqualTo("Password changed"));

        // The link works once.
        var replay = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Password"] = "yet another passphrase 11" });
        Assert.That((await Browser.ReadPageAsync(replay)).QuerySelector("[role=alert]")!.TextContent, Does.Contain("invalid or has expired"));

        var signIn = await SignInAsync(NewBrowser(), email, UniqueUser.Password);
        Assert.That(signIn.Message, Does.Contain("incorrect"), "the old password no longer works");
    }

    [Test]
    public async Task Pages_send_security_headers_and_secure_cookies()
    {
        var response = await NewBrowser().GetAsync("/account/signin");

        Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("frame-ancestors 'none'").And.Contain("script-src 'self'"));
        Assert.That(response.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
        Assert.That(response.Headers.GetValues("Referrer-Policy").Single(), Is.EqualTo("no-referrer"));
        var cookies = response.Headers.GetValues("Set-Cookie").ToList();
        Assert.That(cookies, Is.Not.Empty);
        Assert.That(cookies, Is.All.StartsWith("__Host-").And.Contains("secure").And.Contains("httponly"));
    }

    [Test]
    public async Task The_development_mail_page_does_not_exist_outside_development()
    {
        var response = await NewBrowser().GetAsync("/dev/mail");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    private async Task<(HttpStatusCode Status, string? Location)> ForgotAsync(string email)
    {
        var browser = NewBrowser();
        var (_, page) = await browser.OpenAsync("/account/forgot-password");
        var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email });
        return (response.StatusCode, response.Headers.Location?.ToString());
    }
}
