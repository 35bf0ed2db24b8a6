using System.Net;
using Microsoft.AspNetCore.Identity;
using System.Data.Common;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>Sessions, credentials and grants: the rules from the security review of the foundation.</summary>
internal sealed class SessionSecurityTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task Replaying_the_sign_in_return_url_does_not_skip_prompt_login()
    {
        var (_, browser) = await SignedInUserAsync();
        var first = await browser.GetAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["prompt"] = "login" }));
        var returnUrl = OidcClient.Query(browser.RedirectTarget(first))["ReturnUrl"];

        // Opening the resumed request without signing in again must send the person to sign in, not issue a code.
        var replay = await browser.GetAsync(returnUrl);

        Assert.That(Browser.IsRedirect(replay), Is.True);
        Assert.That(browser.RedirectTarget(replay).AbsolutePath, Is.EqualTo("/account/signin"));
    }

    [Test]
    public async Task Sessions_revoked_in_a_transaction_are_refused_by_this_node_once_it_commits()
    {
        // SCIM deprovisioning revokes sessions inside its transaction. A request in between reads the committed, old
        // state of the session — and must not keep it past the commit.
        var (email, browser) = await SignedInUserAsync();
        Assert.That((await browser.GetAsync("/account/manage/sessions")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
            var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
            await using var transaction = await db.Database.BeginTransactionAsync();
            await scope.ServiceProvider.GetRequiredService<UserSessions>().RevokeAllAsync(userId, keep: null);
            Assert.That((await browser.GetAsync("/account/manage/sessions")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "not committed yet");
            await transaction.CommitAsync();
        }

        Assert.That(Browser.IsRedirect(await browser.GetAsync("/account/manage/sessions")), Is.True, "refused once the revocation committed");
    }

    [Test]
    public async Task A_sign_in_between_the_statements_of_a_revocation_of_every_session_is_kept_or_refused_never_half()
    {
        // "Sign out everywhere" is two statements. A session signed in between them, and checked by this node, must
        // either survive (it came after) or be refused at once — not be revoked in the database while the node
        // still accepts it from its cache.
        var between = new BetweenTwoStatements("UserSessions");
        await using var node = Factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.ConfigureDbContext<PlintoDbContext>(options => options.AddInterceptors(between))));
        var email = UniqueUser.Email("everywhere");
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        var early = new Browser(node.CreateClient());
        Assert.That((await SignInAsync(early, email, UniqueUser.Password)).Message, Is.Empty);
        var late = new Browser(node.CreateClient());
        between.Run = async () =>
        {
            Assert.That((await SignInAsync(late, email, UniqueUser.Password)).Message, Is.Empty);
            Assert.That((await late.GetAsync("/account/manage/sessions")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "checked (and remembered) by this node");
        };

        await using (var scope = node.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<UserSessions>().RevokeAllAsync(user.Id, keep: null);
        }

        Assert.That(between.Ran, Is.True, "the sign-in ran between the revocation's statements");
        Assert.That(Browser.IsRedirect(await early.GetAsync("/account/manage/sessions")), Is.True, "the session before the revocation is refused");
        bool lateRevoked;
        await using (var scope = node.Services.CreateAsyncScope())
        {
            lateRevoked = await scope.ServiceProvider.GetRequiredService<PlintoDbContext>().UserSessions
                .Where(s => s.UserId == user.Id).OrderByDescending(s => s.CreatedAt).Select(s => s.RevokedAt != null).FirstAsync();
        }

        var lateAccepted = (await late.GetAsync("/account/manage/sessions")).StatusCode == HttpStatusCode.OK;
        Assert.That(lateAccepted, Is.EqualTo(!lateRevoked), lateRevoked
            ? "the late session is revoked in the database, and this node still accepts it"
            : "the late session is live, and this node refuses it");
    }

    [Test]
    public async Task Auth_time_is_when_the_person_signed_in_not_when_the_code_was_asked_for()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var (_, browser) = await SignedInUserAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.2));

        var tokens = await WebClientTokensAsync(browser, "openid profile");
        var idToken = await Jwks.ValidateAsync(browser.Client, tokens.Get("id_token"), ConfidentialClientId);

        Assert.That(long.Parse(idToken.Claim("auth_time")), Is.InRange(before - 1, before + 1));
        Assert.That(idToken.ClaimsIdentity.FindFirst("preferred_username"), Is.Null, "profile does not reveal the e-mail address");
    }

    [Test]
    public async Task A_huge_max_age_is_handled_without_a_server_error()
    {
        var (_, browser) = await SignedInUserAsync();
        var response = await browser.GetAsync(OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid",
            OidcClient.NewPkce(), new Dictionary<string, string?> { ["max_age"] = "10000000000000" }));

        Assert.That((int)response.StatusCode, Is.LessThan(500));
    }

    [Test]
    public async Task An_unconfirmed_account_is_only_revealed_to_someone_with_its_password()
    {
        var email = UniqueUser.Email("unconfirmed");
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            Assert.That((await users.CreateAsync(new PlintoUser { UserName = email, Email = email }, UniqueUser.Password)).Succeeded, Is.True);
        }

        var (_, wrong) = await SignInAsync(NewBrowser(), email, "definitely not the password");
        var (_, right) = await SignInAsync(NewBrowser(), email, UniqueUser.Password);

        Assert.That(wrong, Does.Contain("Email or password is incorrect.").And.Not.Contain("Confirm"));
        Assert.That(right, Does.Contain("Confirm your email"));
    }

    [Test]
    public async Task A_password_reset_revokes_refresh_tokens_and_confirms_a_squatted_address()
    {
        var email = UniqueUser.Email("reset-revoke");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var tokens = await WebClientTokensAsync(browser, "openid offline_access", email);

        await ResetPasswordAsync(email, "a completely new passphrase 31");

        var refresh = await OidcClient.RefreshAsync(browser.Client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refresh.Error, Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task Forgot_password_works_for_an_unconfirmed_account_and_the_reset_confirms_it()
    {
        var email = UniqueUser.Email("squatted");
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            Assert.That((await users.CreateAsync(new PlintoUser { UserName = email, Email = email }, "squatter's own passphrase 1")).Succeeded, Is.True);
        }

        await ResetPasswordAsync(email, "the owner's new passphrase 2");

        var (_, result) = await SignInAsync(NewBrowser(), email, "the owner's new passphrase 2");
        Assert.That(result, Is.Empty, "signed in: the reset proved the mailbox and confirmed the address");
    }

    [Test]
    public async Task A_lockout_triggered_by_someone_else_does_not_break_the_owners_refresh_tokens()
    {
        var email = UniqueUser.Email("locked");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var tokens = await WebClientTokensAsync(browser, "openid offline_access", email);

        for (var i = 0; i < 6; i++)
        {
            await SignInAsync(NewBrowser(), email, "attacker guess " + i);
        }

        var refresh = await OidcClient.RefreshAsync(browser.Client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refresh.Status, Is.EqualTo(HttpStatusCode.OK), refresh.Json.ToString());
    }

    [Test]
    public async Task Reset_links_use_the_configured_issuer_whatever_the_Host_header_says()
    {
        var email = UniqueUser.Email("host");
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var (_, page) = await browser.OpenAsync("/account/forgot-password");
        browser.Client.DefaultRequestHeaders.Host = "evil.example";
        await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email });

        var message = await MailDrop.WaitForAsync(Factory.MailFolder, email, "Reset your password");
        Assert.That(MailDrop.FirstLink(message, "/account/reset-password"), Does.StartWith("https://localhost/account/reset-password"));
        Assert.That(message.TextBody, Does.Not.Contain("evil.example"));
    }

    [Test]
    public async Task A_logout_request_that_cannot_see_the_session_does_not_delete_cookies()
    {
        // A cross-site POST does not carry the SameSite=Lax session cookie: nothing may be signed out or deleted.
        var response = await Factory.CreateClient().PostAsync("/connect/endsession",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = ConfidentialClientId }));

        Assert.That(Browser.IsRedirect(response), Is.True);
        Assert.That(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [],
            Has.None.Contains("plinto.session"));
    }

    private async Task ResetPasswordAsync(string email, string newPassword)
    {
        var browser = NewBrowser();
        var (_, forgot) = await browser.OpenAsync("/account/forgot-password");
        await browser.SubmitAsync(forgot, new Dictionary<string, string> { ["Input.Email"] = email });
        var message = await MailDrop.WaitForAsync(Factory.MailFolder, email, "Reset your password");
        var (_, page) = await browser.OpenAsync(new Uri(MailDrop.FirstLink(message, "/account/reset-password")).PathAndQuery);
        var reset = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Password"] = newPassword });
        Assert.That((await Browser.ReadPageAsync(reset)).QuerySelector("h1")!.TextContent, Is.EqualTo("Password changed"));
    }

    /// <summary>
    /// Runs <see cref="Run"/> once, just before the second command on <paramref name="table"/> after it is set (the
    /// first has completed by then); the commands <see cref="Run"/> itself causes are not counted.
    /// </summary>
    private sealed class BetweenTwoStatements(string table) : DbCommandInterceptor
    {
        private int seen;
        private bool running;

        public Func<Task>? Run { get; set; }

        public bool Ran { get; private set; }

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            await SeeAsync(command);
            return result;
        }

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            await SeeAsync(command);
            return result;
        }

        private async Task SeeAsync(DbCommand command)
        {
            if (Run is null || running || Ran || !command.CommandText.Contains(table, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            if (++seen == 2)
            {
                running = true;
                await Run();
                running = false;
                Ran = true;
            }
        }
    }
}
