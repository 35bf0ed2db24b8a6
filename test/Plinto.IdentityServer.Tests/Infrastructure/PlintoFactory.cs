using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// The real host, in memory, on a real database of the given provider, with the clients the tests use.
/// Settings can be added or overridden per fixture.
/// </summary>
internal sealed class PlintoFactory : WebApplicationFactory<Program>
{
    public const string ConfidentialClientId = "web";
    public const string ConfidentialSecret = "web-secret-0123456789-abcdefghijklmnop";
    public const string ConfidentialRedirect = "https://client.test/callback";
    public const string ConfidentialPostLogout = "https://client.test/signed-out";
    public const string PublicClientId = "spa";
    public const string PublicRedirect = "https://spa.test/callback";
    public const string MachineClientId = "machine";
    public const string MachineSecret = "machine-secret-0123456789-abcdefghijkl";
    public const string ApiScope = "api";

    /// <summary>A machine client with the admin API's platform scope (what provisioning scripts use).</summary>
    public const string AutomationClientId = "automation";
    public const string AutomationSecret = "automation-secret-0123456789-abcdefgh";
    public const string ApiAudience = "https://api.test";

    private readonly Dictionary<string, string?> settings;

    public PlintoFactory(DatabaseProvider provider, string connectionString, string folder, IDictionary<string, string?>? overrides = null)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Folder = folder;
        MailFolder = Path.Combine(folder, "mail");
        settings = BaseSettings(provider, connectionString, folder);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                // null removes a whole section, e.g. one client of the catalog.
                foreach (var removed in settings.Keys.Where(k => k == key || k.StartsWith(key + ":", StringComparison.Ordinal)).ToList())
                {
                    settings.Remove(removed);
                }
            }
            else
            {
                settings[key] = value;
            }
        }

        ClientOptions.BaseAddress = new Uri("https://localhost");
        ClientOptions.AllowAutoRedirect = false;
    }

    /// <summary>The configuration every test host starts from: the three test clients, the api scope, mail to a folder.</summary>
    public static Dictionary<string, string?> BaseSettings(DatabaseProvider provider, string connectionString, string folder) =>
        new()
        {
            ["Plinto:Database:Provider"] = provider.ToString(),
            ["Plinto:Database:ConnectionString"] = connectionString,
            ["Plinto:DataDirectory"] = folder,
            ["Plinto:Issuer"] = "https://localhost/",
            ["Plinto:Email:PickupDirectory"] = Path.Combine(folder, "mail"),
            ["Plinto:Jobs:Enabled"] = "false",
            // All in-memory test requests share one "IP"; the throttling fixture sets real limits.
            ["Plinto:RateLimits:AccountPostsPerMinutePerIp"] = "100000",
            ["Plinto:Tokens:RefreshTokenReuseLeeway"] = "00:00:00",

            ["Plinto:Scopes:0:Name"] = ApiScope,
            ["Plinto:Scopes:0:Resources:0"] = ApiAudience,

            ["Plinto:Clients:0:ClientId"] = ConfidentialClientId,
            ["Plinto:Clients:0:ClientSecret"] = ConfidentialSecret,
            ["Plinto:Clients:0:DisplayName"] = "Test web app",
            ["Plinto:Clients:0:RedirectUris:0"] = ConfidentialRedirect,
            ["Plinto:Clients:0:PostLogoutRedirectUris:0"] = ConfidentialPostLogout,
            ["Plinto:Clients:0:GrantTypes:0"] = "authorization_code",
            ["Plinto:Clients:0:GrantTypes:1"] = "refresh_token",
            ["Plinto:Clients:0:Scopes:0"] = "openid",
            ["Plinto:Clients:0:Scopes:1"] = "profile",
            ["Plinto:Clients:0:Scopes:2"] = "email",
            ["Plinto:Clients:0:Scopes:3"] = "offline_access",
            ["Plinto:Clients:0:Scopes:4"] = ApiScope,
            ["Plinto:Clients:0:Scopes:5"] = "organization",
            ["Plinto:Clients:0:Scopes:6"] = "plinto:org:admin",
            ["Plinto:Clients:0:Scopes:7"] = "plinto:admin",
            ["Plinto:Clients:0:ConsentType"] = "implicit",

            ["Plinto:Clients:1:ClientId"] = PublicClientId,
            ["Plinto:Clients:1:DisplayName"] = "Test single-page app",
            ["Plinto:Clients:1:RedirectUris:0"] = PublicRedirect,
            ["Plinto:Clients:1:GrantTypes:0"] = "authorization_code",
            ["Plinto:Clients:1:GrantTypes:1"] = "refresh_token",
            ["Plinto:Clients:1:Scopes:0"] = "openid",
            ["Plinto:Clients:1:Scopes:1"] = "profile",
            ["Plinto:Clients:1:Scopes:2"] = "offline_access",
            ["Plinto:Clients:1:ConsentType"] = "explicit",

            ["Plinto:Clients:2:ClientId"] = MachineClientId,
            ["Plinto:Clients:2:ClientSecret"] = MachineSecret,
            ["Plinto:Clients:2:GrantTypes:0"] = "client_credentials",
            ["Plinto:Clients:2:Scopes:0"] = ApiScope,

            ["Plinto:Clients:3:ClientId"] = AutomationClientId,
            ["Plinto:Clients:3:ClientSecret"] = AutomationSecret,
            ["Plinto:Clients:3:GrantTypes:0"] = "client_credentials",
            ["Plinto:Clients:3:Scopes:0"] = "plinto:admin",
        };

    public DatabaseProvider Provider { get; }

    /// <summary>The database this host uses (another host on it is another node of the same cluster).</summary>
    public string ConnectionString { get; }

    /// <summary>Delete the data folder (database file, keys, mail) when disposed.</summary>
    public bool OwnsFolder { get; init; }

    /// <summary>An extra JSON configuration file, as an operator would mount one.</summary>
    public string? JsonConfigurationFile { get; init; }

    public string Folder { get; }

    /// <summary>A clock the test moves (replaces the host's <see cref="TimeProvider"/>).</summary>
    public TestTime? Time { get; init; }

    public string MailFolder { get; }

    public static async Task<PlintoFactory> CreateAsync(DatabaseProvider provider, IDictionary<string, string?>? overrides = null, TestTime? time = null)
    {
        var folder = Directory.CreateTempSubdirectory("plinto-test-").FullName;
        var connectionString = await TestDatabases.CreateAsync(provider, folder);
        return new PlintoFactory(provider, connectionString, folder, overrides) { OwnsFolder = true, Time = time };
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // As the Development environment does: a singleton holding a scoped service fails the host's start here,
        // not only in the end-to-end suite (which runs in Development).
        builder.UseDefaultServiceProvider(options =>
        {
            options.ValidateScopes = true;
            options.ValidateOnBuild = true;
        });
        if (JsonConfigurationFile is not null)
        {
            builder.ConfigureAppConfiguration(config => config.AddJsonFile(JsonConfigurationFile, optional: false));
        }
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (Environment.GetEnvironmentVariable("PLINTO_TEST_LOG") is { Length: > 0 } log)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(new FileLog(log)));
        }

        if (Time is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time));
        }
    }

    /// <summary>A confirmed account created directly in the store (for tests that are not about sign-up).</summary>
    public async Task<PlintoUser> CreateUserAsync(string email, string password, string? name = null)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlintoUser>>();
        var user = new PlintoUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            Name = name,
            GivenName = name?.Split(' ')[0],
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var result = await users.CreateAsync(user, password);
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors.Select(e => e.Description)));
        return user;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (!OwnsFolder)
        {
            return;
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
