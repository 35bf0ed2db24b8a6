using Microsoft.Playwright;

namespace Plinto.IdentityServer.EndToEndTests.Infrastructure;

/// <summary>
/// Debian's Chromium (never a downloaded browser) driven by Playwright, against one Plinto server per fixture.
/// Each test gets a fresh browser context (no shared cookies).
/// </summary>
internal abstract class BrowserFixture
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? playwright;
    private IBrowser? browser;

    protected PlintoServer Server { get; private set; } = null!;

    protected IBrowserContext Context { get; private set; } = null!;

    protected IPage Page { get; private set; } = null!;

    /// <summary>Configuration this fixture's server adds to the defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string>? ServerSettings => null;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Assert.That(File.Exists(ChromiumPath), Is.True, $"{ChromiumPath} is missing: ./build.sh test installs Debian's chromium package.");
        Server = new PlintoServer(ServerSettings);
        Server.StartServer();

        // Expect(...) waits have their own default (5 s), apart from the context's: the same 15 s for both, so that a
        // busy CI machine (the other test projects run at the same time) does not fail a wait for a page that comes.
        Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        var args = new List<string> { "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic" };
        if (Environment.UserName == "root")
        {
            args.Add("--no-sandbox");
        }

        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = args,
        });
    }

    [SetUp]
    public async Task NewContextAsync()
    {
        Context = await browser!.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.BaseUrl });
        Context.SetDefaultTimeout(15_000);
        Page = await Context.NewPageAsync();
    }

    [TearDown]
    public async Task CloseContextAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"{TestContext.CurrentContext.Test.Name}.png");
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
            TestContext.AddTestAttachment(file);
        }

        await Context.CloseAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (browser is not null)
        {
            await browser.CloseAsync();
        }

        playwright?.Dispose();
        await Server.DisposeAsync();
    }
}
