using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Plinto.IdentityServer.EndToEndTests.Infrastructure;

/// <summary>
/// The real host on Kestrel (a browser needs a socket), in Development mode as a new user would run it:
/// embedded SQLite, the development mail folder and its page, plain HTTP on localhost.
/// <para>
/// Kestrel binds 127.0.0.1 with port 0: the OS picks a free port at the bind itself, so no other process can take it
/// between a choice and the bind. The browser still addresses the server as <c>localhost</c> (a secure context, which
/// WebAuthn needs, and the passkeys' RP ID); <c>localhost</c> resolves to the loopback addresses, and one that does
/// not listen (::1) is refused at once.
/// </para>
/// </summary>
internal sealed class PlintoServer : WebApplicationFactory<Program>
{
    public const string ClientId = "e2e-app";
    public const string ClientName = "End-to-end test app";

    private readonly string folder = Directory.CreateTempSubdirectory("plinto-e2e-").FullName;
    private readonly IReadOnlyDictionary<string, string> settings;
    private int? port;

    /// <param name="settings">Configuration a fixture adds (e.g. a passkey limit).</param>
    public PlintoServer(IReadOnlyDictionary<string, string>? settings = null)
    {
        this.settings = settings ?? new Dictionary<string, string>();
        Client = ClientApp.Start();
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>The port Kestrel bound (reading it starts the server if it has not started yet).</summary>
    public int Port => port ??= BoundAddress.Of(Services).Port;

    /// <summary>The relying party's redirect URI, listening for the browser.</summary>
    public ClientApp Client { get; }

    public string BaseUrl => $"http://localhost:{Port}";

    public string RedirectUri => Client.RedirectUri;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Plinto:DataDirectory", folder);
        builder.UseSetting("Plinto:RequireHttps", "false");
        builder.UseSetting("Plinto:Database:ConnectionString", $"Data Source={Path.Combine(folder, "plinto.db")}");
        builder.UseSetting("Plinto:Jobs:Enabled", "false");
        // Every test browser comes from 127.0.0.1: the per-IP form limit would throttle the suite itself.
        builder.UseSetting("Plinto:RateLimits:AccountPostsPerMinutePerIp", "100000");
        // Index 1: index 0 is the demo client of appsettings.Development.json.
        builder.UseSetting("Plinto:Clients:1:ClientId", ClientId);
        builder.UseSetting("Plinto:Clients:1:DisplayName", ClientName);
        builder.UseSetting("Plinto:Clients:1:RedirectUris:0", RedirectUri);
        builder.UseSetting("Plinto:Clients:1:GrantTypes:0", "authorization_code");
        builder.UseSetting("Plinto:Clients:1:Scopes:0", "openid");
        builder.UseSetting("Plinto:Clients:1:Scopes:1", "profile");
        builder.UseSetting("Plinto:Clients:1:Scopes:2", "email");
        builder.UseSetting("Plinto:Clients:1:Scopes:3", "organization");
        builder.UseSetting("Plinto:Clients:1:ConsentType", "explicit");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Client.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS temp cleaner.
        }
    }
}
