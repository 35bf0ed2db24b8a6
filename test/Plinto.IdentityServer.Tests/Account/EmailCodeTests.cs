using System.Net;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>One-time codes by e-mail: passwordless sign-in, and the second step after a password.</summary>
internal sealed partial class EmailCodeTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task A_code_by_email_signs_in_once_without_a_password()
    {
        var email = UniqueUser.Email("code");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var page = await RequestCodeAsync(browser, email);
        Assert.That(page.QuerySelector("p.lead")!.TextContent, Does.Contain($"If an account uses {email}"));
        var code = await CodeFromMailAsync(email);

        // Asking again within a minute sends nothing new: the first code stays valid.
        var other = NewBrowser();
        var otherPage = await RequestCodeAsync(other, email);
        await Task.Delay(300);
        Assert.That(MailDrop.Find(Factory.MailFolder, email), Has.Count.EqualTo(1), "one code per minute");

        var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = code });
        Assert.That(Browser.IsRedirect(response), Is.True, (await Browser.ReadPageAsync(response)).Body?.TextContent);
        var id = new JsonWebToken((await WebClientTokensAsync(browser, "openid")).Get("id_token"));
        Assert.That(id.Claims.Where(c => c.Type == "amr").Select(c => c.Value), Is.EqualTo(new[] { "otp" }));
        Assert.That(id.GetClaim("acr").Value, Is.EqualTo("urn:plinto:acr:1fa"));

        // The same code again, from the other browser: refused (single use).
        var refused = await other.SubmitAsync(otherPage, new Dictionary<string, string> { ["Code"] = code });
        Assert.That((await Browser.ReadPageAsync(refused)).QuerySelector(".error-summary")!.TextContent, Does.Contain("not right"));
    }

    [Test]
    public async Task An_unknown_address_gets_the_same_answer_and_no_mail()
    {
        var email = UniqueUser.Email("nobody");
        var page = await RequestCodeAsync(NewBrowser(), email);
        Assert.That(page.QuerySelector("p.lead")!.TextContent, Does.Contain($"If an account uses {email}"));
        await Task.Delay(500);
        Assert.That(MailDrop.Find(Factory.MailFolder, email), Is.Empty);
    }

    [Test]
    public async Task Five_wrong_guesses_burn_the_code()
    {
        var email = UniqueUser.Email("guess");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var page = await RequestCodeAsync(browser, email);
        var code = await CodeFromMailAsync(email);
        var wrong = code == "000000" ? "111111" : "000000";
        for (var i = 0; i < 5; i++)
        {
            page = await Browser.ReadPageAsync(await browser.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = wrong }));
        }

        var late = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = code });
        Assert.That(Browser.IsRedirect(late), Is.False, "the right code no longer works after five wrong ones");
    }

    [Test]
    public async Task A_code_by_email_can_be_the_second_step_after_a_password()
    {
        var (email, browser) = await SignedInUserAsync();
        await MfaTests.EnrollAsync(browser);

        var next = NewBrowser();
        await SignInAsync(next, email, UniqueUser.Password);
        var (_, mfa) = await next.OpenAsync("/account/mfa");
        var sent = await Browser.ReadPageAsync(await next.SubmitAsync(mfa, new Dictionary<string, string>(), "[data-testid=send-email-code]"));
        var code = await CodeFromMailAsync(email);
        var done = await next.SubmitAsync(sent, new Dictionary<string, string> { ["EmailCode"] = code }, "[data-testid=email-code-form]");
        Assert.That(Browser.IsRedirect(done), Is.True, (await Browser.ReadPageAsync(done)).Body?.TextContent);

        var id = new JsonWebToken((await WebClientTokensAsync(next, "openid")).Get("id_token"));
        Assert.That(id.Claims.Where(c => c.Type == "amr").Select(c => c.Value), Is.EquivalentTo(new[] { "pwd", "otp", "mfa" }));
    }

    [Test]
    public async Task For_an_account_with_two_step_verification_the_email_code_is_only_the_first_step()
    {
        var (email, browser) = await SignedInUserAsync();
        await MfaTests.EnrollAsync(browser);

        var next = NewBrowser();
        var page = await RequestCodeAsync(next, email);
        var response = await next.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = await CodeFromMailAsync(email) });
        Assert.That(next.RedirectTarget(response).AbsolutePath, Is.EqualTo("/account/mfa"));
        Assert.That((await next.GetAsync("/account/manage")).StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "no session yet");
    }

    [Test]
    public async Task A_mailbox_never_counts_as_both_factors()
    {
        var (email, browser) = await SignedInUserAsync();
        await MfaTests.EnrollAsync(browser);

        var attacker = NewBrowser();
        var page = await RequestCodeAsync(attacker, email);
        await attacker.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = await CodeFromMailAsync(email) });
        var (_, mfa) = await attacker.OpenAsync("/account/mfa");
        Assert.That(mfa.QuerySelector("[data-testid=send-email-code]"), Is.Null, "no e-mail option after an e-mailed first factor");

        var token = mfa.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var forced = await attacker.Client.PostAsync("/account/mfa?handler=SendEmailCode", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.That(Browser.IsRedirect(forced), Is.True, "refused");
        await Task.Delay(300);
        Assert.That(MailDrop.Find(Factory.MailFolder, email).Count(m => m.Subject?.Contains("Your Plinto code", StringComparison.Ordinal) == true), Is.EqualTo(1));
        Assert.That((await attacker.GetAsync("/account/manage")).StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "no session");
    }

    internal static async Task<AngleSharp.Html.Dom.IHtmlDocument> RequestCodeAsync(Browser browser, string email)
    {
        var (_, form) = await browser.OpenAsync("/account/signin/email-code");
        var response = await browser.SubmitAsync(form, new Dictionary<string, string> { ["Email"] = email });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await Browser.ReadPageAsync(response);
    }

    private Task<string> CodeFromMailAsync(string email) => CodeFromMailAsync(Factory.MailFolder, email);

    internal static async Task<string> CodeFromMailAsync(string mailFolder, string email)
    {
        var message = await MailDrop.WaitForAsync(mailFolder, email, "Your Plinto code");
        return SixDigits().Match(message.Subject ?? string.Empty).Value;
    }

    [GeneratedRegex(@"\d{6}")]
    private static partial Regex SixDigits();
}

/// <summary>Expiry needs a clock the test moves; its own fixture, so the other tests keep the real one.</summary>
internal sealed class EmailCodeExpiryTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private readonly TestTime time = new();

    protected override TestTime Time => time;

    [Test]
    public async Task A_code_expires_after_ten_minutes()
    {
        var email = UniqueUser.Email("late");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var page = await EmailCodeTests.RequestCodeAsync(browser, email);
        var code = await EmailCodeTests.CodeFromMailAsync(Factory.MailFolder, email);

        time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(5));
        var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Code"] = code });
        Assert.That(Browser.IsRedirect(response), Is.False, "an expired code does not sign in");
        Assert.That((await Browser.ReadPageAsync(response)).QuerySelector(".error-summary")!.TextContent, Does.Contain("expired"));
    }
}

