using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>
/// Passkey rules that need no browser: the relying party comes from configuration, and the per-account limit.
/// (The recent sign-in rule: ReauthenticationTests; the ceremonies themselves run in Chromium: EndToEndTests.)
/// </summary>
internal sealed class PasskeyPolicyTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Plinto:Passkeys:RelyingPartyId"] = "localhost",
        ["Plinto:Passkeys:MaxPerUser"] = "2",
    };

    [Test]
    public async Task The_relying_party_id_comes_from_configuration_not_from_the_Host_header()
    {
        var (_, browser) = await SignedInUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/manage/passkeys?handler=CreationOptions");
        request.Headers.Host = "attacker.example";
        var response = await browser.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var options = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(options.GetProperty("rp").GetProperty("id").GetString(), Is.EqualTo("localhost"));
        Assert.That(options.GetProperty("authenticatorSelection").GetProperty("userVerification").GetString(), Is.EqualTo("required"));
        Assert.That(options.GetProperty("authenticatorSelection").GetProperty("residentKey").GetString(), Is.EqualTo("required"));
    }

    [Test]
    public async Task An_account_cannot_hold_more_passkeys_than_the_limit()
    {
        var (email, browser) = await SignedInUserAsync();
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
            var user = (await users.FindByEmailAsync(email))!;
            for (var i = 0; i < 2; i++)
            {
                // Stored as registration would store them; only the count matters here.
                var passkey = new UserPasskeyInfo(Guid.NewGuid().ToByteArray(), [1, 2, 3], DateTimeOffset.UtcNow, 0, ["internal"], true, false, false, [0], [0])
                {
                    Name = $"Key {i}",
                };
                Assert.That((await users.AddOrUpdatePasskeyAsync(user, passkey)).Succeeded, Is.True);
            }
        }

        var (_, page) = await browser.OpenAsync("/account/manage/passkeys");
        Assert.That(page.QuerySelectorAll("[data-testid=passkey]"), Has.Length.EqualTo(2));
        Assert.That(page.QuerySelector("form[data-passkey=create]"), Is.Null);
        Assert.That(page.Body!.TextContent, Does.Contain("the most passkeys an account can have (2)"));

        // A registration posted anyway is refused before any verification (this password-only session must also
        // prove the second factor the account now has).
        var token = page.QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        var response = await browser.Client.PostAsync("/account/manage/passkeys?handler=Add", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Credential"] = "{}",
            ["__RequestVerificationToken"] = token,
        }));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect).Or.EqualTo(HttpStatusCode.OK));
        var (_, after) = await browser.OpenAsync("/account/manage/passkeys");
        Assert.That(after.QuerySelectorAll("[data-testid=passkey]"), Has.Length.EqualTo(2));
        Assert.That((await browser.GetAsync("/account/manage/passkeys?handler=CreationOptions")).StatusCode, Is.Not.EqualTo(HttpStatusCode.OK));
    }
}
