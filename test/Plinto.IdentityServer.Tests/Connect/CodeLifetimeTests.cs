using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>RFC 9700 §4.2.3 / RFC 6749 §4.1.2: authorization codes are short-lived.</summary>
internal sealed class CodeLifetimeTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Plinto:Tokens:AuthorizationCodeLifetime"] = "00:00:01",
    };

    [Test]
    public async Task An_expired_code_is_refused()
    {
        var (_, browser) = await SignedInUserAsync();
        var pkce = OidcClient.NewPkce();
        var callback = await OidcClient.AuthorizeAsync(browser, OidcClient.AuthorizeUrl(ConfidentialClientId, ConfidentialRedirect, "openid", pkce));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, OidcClient.Query(callback)["code"], ConfidentialRedirect, pkce, ConfidentialClientId, ConfidentialSecret);

        Assert.That(tokens.Error, Is.EqualTo("invalid_grant"));
        Assert.That(tokens.Has("access_token"), Is.False);
    }
}
