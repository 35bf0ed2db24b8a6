using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>Plinto:Mfa:Required: every sign-in needs a second factor; accounts without one enrol at sign-in.</summary>
internal sealed class MfaPolicyTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Plinto:Mfa:Required"] = "true" };

    [Test]
    public async Task An_account_with_a_passkey_cannot_enrol_an_app_instead_of_using_it()
    {
        var email = UniqueUser.Email();
        var user = await Factory.CreateUserAsync(email, UniqueUser.Password);
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            var stored = (await users.FindByIdAsync(user.Id))!;
            var passkey = new UserPasskeyInfo(Guid.NewGuid().ToByteArray(), [1, 2, 3], DateTimeOffset.UtcNow, 0, ["internal"], true, false, false, [0], [0]);
            Assert.That((await users.AddOrUpdatePasskeyAsync(stored, passkey)).Succeeded, Is.True);
        }

        // The password alone (a stolen one): the second step asks for the passkey...
        var attacker = NewBrowser();
        var (_, message) = await SignInAsync(attacker, email, UniqueUser.Password);
        Assert.That(message, Is.Empty);
        var (_, mfa) = await attacker.OpenAsync("/account/mfa");
        Assert.That(attacker.LastUrl!.AbsolutePath, Is.EqualTo("/account/mfa"));

        // ...and enrolling an app of the attacker's own instead is refused.
        var (_, setup) = await attacker.OpenAsync("/account/mfa/setup");
        Assert.That(attacker.LastUrl!.AbsolutePath, Is.EqualTo("/account/mfa"));
        Assert.That(setup.QuerySelector("[data-testid=totp-secret]"), Is.Null);
        Assert.That((await attacker.GetAsync("/account/manage")).StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Redirect));
    }

    [Test]
    public async Task An_account_without_a_second_factor_enrols_at_its_next_sign_in_and_then_continues()
    {
        var email = UniqueUser.Email();
        await Factory.CreateUserAsync(email, UniqueUser.Password);
        var browser = NewBrowser();
        var pkce = OidcClient.NewPkce();
        var authorize = OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce);

        // Authorization request → sign-in → (password right) → enrolment, never a code before it.
        var (_, signIn) = await browser.OpenAsync(authorize);
        var afterPassword = await browser.FollowAsync(await browser.SubmitAsync(signIn,
            new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password }));
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/mfa/setup"));
        var setup = await Browser.ReadPageAsync(afterPassword);
        Assert.That(setup.QuerySelector("p.lead")!.TextContent, Does.Contain("needs a second step"));

        // Leaving the set-up half-way gives no session: the authorization request asks for a sign-in again.
        await browser.OpenAsync(authorize);
        Assert.That(browser.LastUrl!.AbsolutePath, Is.EqualTo("/account/signin"));
        (_, setup) = await browser.OpenAsync(new Uri(browser.LastUrl, "/account/mfa/setup?returnUrl=" + Uri.EscapeDataString(authorize)).PathAndQuery);

        var secret = setup.QuerySelector("[data-testid=totp-secret]")!.TextContent;
        var done = await Browser.ReadPageAsync(await browser.SubmitAsync(setup, new Dictionary<string, string> { ["Code"] = TestTotp.Code(secret, DateTimeOffset.UtcNow) }));
        Assert.That(done.QuerySelectorAll("ul.recovery-codes code"), Has.Length.EqualTo(10));

        var callback = await OidcClient.AuthorizeAsync(browser, done.QuerySelector("a.button")!.GetAttribute("href")!);
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, OidcClient.Query(callback)["code"], ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);
        Assert.That(new JsonWebToken(tokens.Get("id_token")).GetClaim("acr").Value, Is.EqualTo("urn:plinto:acr:mfa"));
    }
}
