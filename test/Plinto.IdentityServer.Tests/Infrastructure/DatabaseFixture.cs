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

    [OneTimeSetUp]
    public async Task StartHostAsync()
    {
        Factory = await PlintoFactory.CreateAsync(provider, Settings);
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
        var (_, page) = await browser.OpenAsync("/account/signin");
        var response = await browser.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password });
        Assert.That(Browser.IsRedirect(response), Is.True, "Sign-in should redirect.");
        return (email, browser);
    }
}
