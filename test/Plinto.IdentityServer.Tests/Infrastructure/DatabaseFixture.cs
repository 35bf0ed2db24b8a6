using System.Net;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>One running host per fixture and database provider; the fixture's tests run on SQLite and on PostgreSQL.</summary>
[TestFixtureSource(typeof(TestDatabases), nameof(TestDatabases.All))]
internal abstract class DatabaseFixture(DatabaseProvider provider)
{
    protected PlintoFactory Factory { get; private set; } = null!;

    protected DatabaseProvider Provider => provider;

    /// <summary>Settings a fixture adds to or overrides in the defaults of <see cref="PlintoFactory"/>.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    /// <summary>A clock the fixture can move; null: the real one.</summary>
    protected virtual TestTime? Time => null;

    [OneTimeSetUp]
    public async Task StartHostAsync()
    {
        Factory = await PlintoFactory.CreateAsync(provider, Settings, Time);
        _ = Factory.Server; // start now, so a start-up failure fails the fixture set-up with its message
    }

    [OneTimeTearDown]
    public async Task StopHostAsync() => await Factory.DisposeAsync();

    protected Browser NewBrowser() => new(Factory.CreateClient());

    /// <summary>A confirmed user plus a browser signed in through the hosted sign-in page.</summary>
    protected async Task<(string Email, Browser Browser)> SignedInUserAsync(string? name = null)
    {
        var email = UniqueUser.Email();
        await Factory.CreateUserAsync(email, UniqueUser.Password, name);
        var browser = NewBrowser();
        var (status, message) = await SignInAsync(browser, email, UniqueUser.Password);
        Assert.That(message, Is.Empty, $"Sign-in should redirect ({status}).");
        return (email, browser);
    }

    /// <summary>Posts the sign-in page; returns its error summary, or an empty message when it redirected (signed in).</summary>
    protected static async Task<(HttpStatusCode Status, string Message)> SignInAsync(Browser browser, string email, string password)
    {
        var (_, page) = await browser.OpenAsync("/account/signin");
        var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });
        var message = Browser.IsRedirect(response)
            ? string.Empty
            : (await Browser.ReadPageAsync(response)).QuerySelector(".error-summary")?.TextContent.Trim() ?? "(no message)";
        return (response.StatusCode, message);
    }

    /// <summary>
    /// Code flow with PKCE for the confidential test client, as far as the token response. Signs in on the way
    /// when <paramref name="email"/> is given (password <see cref="UniqueUser.Password"/>).
    /// </summary>
    protected static async Task<TokenResponse> WebClientTokensAsync(Browser browser, string scope, string? email = null)
    {
        var pkce = OidcClient.NewPkce();
        var callback = await OidcClient.AuthorizeAsync(browser,
            OidcClient.AuthorizeUrl(PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, scope, pkce),
            email, email is null ? null : UniqueUser.Password);
        var tokens = await OidcClient.RedeemCodeAsync(browser.Client, OidcClient.Query(callback)["code"],
            PlintoFactory.ConfidentialRedirect, pkce, PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Json.ToString());
        return tokens;
    }
}
