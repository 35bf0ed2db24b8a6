using System.Net;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Connect;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>
/// What the performance levers could break: client_credentials tokens without a row (still validated, honestly
/// not revocable), and the client/scope cache (a change through a node applies at once; a change behind its back
/// within <c>Plinto:Tokens:CatalogCacheLifetime</c>).
/// </summary>
internal sealed class TokenHotPathTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    private readonly TestTime time = new();

    protected override TestTime Time => time;

    private IReadOnlyCollection<string> machinePermissions = [];

    [OneTimeSetUp]
    public async Task RememberMachineAsync()
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        machinePermissions = await applications.GetPermissionsAsync((await applications.FindByClientIdAsync(MachineClientId))!);
        Assert.That(machinePermissions, Does.Contain(OpenIddictConstants.Permissions.GrantTypes.ClientCredentials));
    }

    [Test]
    public async Task Client_credentials_tokens_get_no_row_still_introspect_and_revocation_answers_unsupported_token_type()
    {
        var client = Factory.CreateClient();
        var token = (await MachineTokenAsync(client, MachineSecret)).Get("access_token");

        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
            var machine = await applications.FindByClientIdAsync(MachineClientId);
            var rows = 0;
            await foreach (var _ in tokens.FindByApplicationIdAsync((await applications.GetIdAsync(machine!))!))
            {
                rows++;
            }

            Assert.That(rows, Is.Zero, "no database row per client_credentials grant");
        }

        var introspection = await OidcClient.PostFormAsync(client, "/connect/introspect", MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["token"] = token });
        Assert.That(introspection.GetProperty("active").GetBoolean(), Is.True);
        Assert.That(introspection.GetProperty("client_id").GetString(), Is.EqualTo(MachineClientId));

        // RFC 7009 §2.2.1: a server that does not revoke this kind of token says so.
        using var revoke = new HttpRequestMessage(HttpMethod.Post, "/connect/revoke")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }),
        };
        revoke.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{MachineClientId}:{MachineSecret}")));
        using var revoked = await client.SendAsync(revoke);
        Assert.That(revoked.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await revoked.Content.ReadAsStringAsync(), Does.Contain("unsupported_token_type"));

        // A token altered in any way is still refused: the signature is what makes it valid.
        var forged = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        var refused = await OidcClient.PostFormAsync(client, "/connect/introspect", MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["token"] = forged });
        Assert.That(refused.GetProperty("active").GetBoolean(), Is.False);
    }

    [Test]
    public async Task A_secret_rotated_through_this_node_applies_at_once_and_a_disabled_client_is_refused_at_once()
    {
        var client = Factory.CreateClient();
        Assert.That((await MachineTokenAsync(client, MachineSecret)).Status, Is.EqualTo(HttpStatusCode.OK), "the client is now cached");

        const string rotated = "machine-rotated-secret-0123456789-abcdefghijkl";
        await UpdateMachineAsync(async (applications, machine) => await applications.UpdateAsync(machine, rotated));
        try
        {
            Assert.That((await MachineTokenAsync(client, MachineSecret)).Error, Is.EqualTo("invalid_client"), "the old secret stops at once");
            Assert.That((await MachineTokenAsync(client, rotated)).Status, Is.EqualTo(HttpStatusCode.OK));

            await UpdateMachineAsync(async (applications, machine) =>
            {
                var descriptor = new OpenIddictApplicationDescriptor();
                await applications.PopulateAsync(descriptor, machine);
                descriptor.Permissions.Clear();
                await applications.UpdateAsync(machine, descriptor);
            });
            Assert.That((await MachineTokenAsync(client, rotated)).Status, Is.Not.EqualTo(HttpStatusCode.OK), "a disabled client stops at once");
        }
        finally
        {
            await RestoreMachineAsync();
        }
    }

    [Test]
    public async Task A_change_written_behind_the_nodes_back_applies_within_the_cache_lifetime()
    {
        var client = Factory.CreateClient();
        Assert.That((await MachineTokenAsync(client, MachineSecret)).Status, Is.EqualTo(HttpStatusCode.OK), "the client is now cached");

        // Another node rotating the secret: this node's cache does not hear of it.
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var store = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication>>();
            var machine = (await store.FindByClientIdAsync(MachineClientId, CancellationToken.None))!;
            machine.ClientSecret = "plinto-sha256:AAAAAAAAAAAAAAAAAAAAAA==:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
            await store.UpdateAsync(machine, CancellationToken.None);
        }

        try
        {
            Assert.That((await MachineTokenAsync(client, MachineSecret)).Status, Is.EqualTo(HttpStatusCode.OK), "still cached");
            time.Advance(TimeSpan.FromSeconds(31));
            Assert.That((await MachineTokenAsync(client, MachineSecret)).Error, Is.EqualTo("invalid_client"), "after Plinto:Tokens:CatalogCacheLifetime (30 s)");
        }
        finally
        {
            await RestoreMachineAsync();
        }
    }

    [Test]
    public async Task A_scope_audience_changed_through_the_scope_manager_applies_to_the_next_token()
    {
        var client = Factory.CreateClient();
        var before = new JsonWebToken((await MachineTokenAsync(client, MachineSecret)).Get("access_token"));
        Assert.That(before.Audiences, Is.EquivalentTo(new[] { ApiAudience }));

        await SetApiAudiencesAsync(ApiAudience, "https://other.test");
        try
        {
            var after = new JsonWebToken((await MachineTokenAsync(client, MachineSecret)).Get("access_token"));
            Assert.That(after.Audiences, Is.EquivalentTo(new[] { ApiAudience, "https://other.test" }));
        }
        finally
        {
            await SetApiAudiencesAsync(ApiAudience);
        }
    }

    [Test]
    public async Task A_client_credentials_grant_calls_no_save_of_nothing_and_a_code_grant_still_stores_its_rows()
    {
        var saves = new EmptySaves();
        await using var counting = Factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.ConfigureDbContext<PlintoDbContext>(options => options.AddInterceptors(saves))));
        var client = counting.CreateClient();
        Assert.That((await MachineTokenAsync(client, MachineSecret)).Status, Is.EqualTo(HttpStatusCode.OK), "fills the caches");
        saves.Reset();

        var token = await MachineTokenAsync(client, MachineSecret);

        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(saves.Count, Is.Zero, "the sign-in deferred no token row, so its flush saves nothing");

        // A sign-in that does defer rows still writes them: the code flow's tokens are stored and usable.
        var (email, browser) = await SignedInUserAsync();
        var tokens = await OidcClient.ConfidentialCodeFlowAsync(browser, email);
        var refreshed = await OidcClient.RefreshAsync(client, tokens.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.Json.ToString());
        // The refresh grant's own rows (its rotated refresh token) were written too.
        var again = await OidcClient.RefreshAsync(client, refreshed.Get("refresh_token"), ConfidentialClientId, ConfidentialSecret);
        Assert.That(again.Status, Is.EqualTo(HttpStatusCode.OK), again.Json.ToString());
    }

    [Test]
    public void A_cached_client_reads_back_every_column_as_a_new_entity_each_time()
    {
        var cache = new CatalogCache(TimeProvider.System, Options.Create(new TokenOptions()));
        var columns = typeof(OpenIddictEntityFrameworkCoreApplication).GetProperties()
            .Where(p => p.PropertyType == typeof(string) && p.CanWrite).ToList();
        Assert.That(columns.Select(c => c.Name), Does.Contain(nameof(OpenIddictEntityFrameworkCoreApplication.ClientSecret))
            .And.Contain(nameof(OpenIddictEntityFrameworkCoreApplication.Permissions)));
        var stored = new OpenIddictEntityFrameworkCoreApplication();
        foreach (var column in columns)
        {
            column.SetValue(stored, "value of " + column.Name);
        }

        stored.Tokens.Add(new OpenIddictEntityFrameworkCoreToken());
        cache.SetApplication("some-client", stored, cache.Generation);

        var first = cache.GetApplication("some-client")!;
        var second = cache.GetApplication("some-client")!;

        Assert.That(first, Is.Not.SameAs(stored).And.Not.SameAs(second), "every read gets its own copy");
        foreach (var column in columns)
        {
            Assert.That(column.GetValue(first), Is.EqualTo("value of " + column.Name), column.Name);
        }

        Assert.That(first.Tokens, Is.Empty, "navigations are not copied, as on an entity read without Include");
        Assert.That(cache.GetApplication("other-client"), Is.Null);
    }

    [Test]
    public void A_client_read_before_an_invalidation_is_never_served_after_it()
    {
        // A request loads a client while another rotates its secret: the load started before the write, the write's
        // invalidation lands, then the load stores what it read. No reader may get that copy once the invalidation is
        // done — not even for an instant (with the entry stored first and removed afterwards, a reader on the other
        // core got it tens of thousands of times in these rounds).
        var cache = new CatalogCache(TimeProvider.System, Options.Create(new TokenOptions()));
        var before = new OpenIddictEntityFrameworkCoreApplication { ClientId = "rotating", ClientSecret = "before the rotation" };
        var invalidated = 0;
        var stop = 0;
        long servedStale = 0;
        var reader = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                if (Volatile.Read(ref invalidated) == 1 && cache.GetApplication("rotating") is not null)
                {
                    servedStale++;
                }
            }
        });
        reader.Start();
        for (var round = 0; round < 200_000; round++)
        {
            Volatile.Write(ref invalidated, 0);
            var generation = cache.Generation;
            cache.Invalidate();
            Volatile.Write(ref invalidated, 1);
            cache.SetApplication("rotating", before, generation);
        }

        Volatile.Write(ref stop, 1);
        reader.Join();

        Assert.That(servedStale, Is.Zero);
        // A load that no invalidation overtook is kept.
        cache.SetApplication("rotating", before, cache.Generation);
        Assert.That(cache.GetApplication("rotating")?.ClientSecret, Is.EqualTo("before the rotation"));
    }

    /// <summary>Counts the saves of a context that has nothing to write (background jobs' real writes do not count).</summary>
    private sealed class EmptySaves : SaveChangesInterceptor
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public void Reset() => Interlocked.Exchange(ref count, 0);

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
            DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (eventData.Context is { } context && !context.ChangeTracker.HasChanges())
            {
                Interlocked.Increment(ref count);
            }

            return ValueTask.FromResult(result);
        }
    }

    private static Task<TokenResponse> MachineTokenAsync(HttpClient client, string secret) =>
        OidcClient.TokenAsync(client, MachineClientId, secret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });

    private async Task UpdateMachineAsync(Func<IOpenIddictApplicationManager, object, Task> change)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await change(applications, (await applications.FindByIdAsync(await IdAsync(applications)))!);
    }

    private static async Task<string> IdAsync(IOpenIddictApplicationManager applications) =>
        (await applications.GetIdAsync((await applications.FindByClientIdAsync(MachineClientId))!))!;

    /// <summary>Back to the catalog's state for the other tests: what a restart's reconciliation would do.</summary>
    private async Task RestoreMachineAsync()
    {
        await UpdateMachineAsync(async (applications, machine) =>
        {
            var descriptor = new OpenIddictApplicationDescriptor();
            await applications.PopulateAsync(descriptor, machine);
            descriptor.ClientSecret = MachineSecret;
            descriptor.Permissions.UnionWith([
                OpenIddictConstants.Permissions.Endpoints.Token, OpenIddictConstants.Permissions.Endpoints.Introspection,
                OpenIddictConstants.Permissions.Endpoints.Revocation, OpenIddictConstants.Permissions.GrantTypes.ClientCredentials,
                OpenIddictConstants.Permissions.Prefixes.Scope + ApiScope]);
            await applications.UpdateAsync(machine, descriptor);
        });
    }

    private async Task SetApiAudiencesAsync(params string[] resources)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var scopes = scope.ServiceProvider.GetRequiredService<IOpenIddictScopeManager>();
        var api = (await scopes.FindByNameAsync(ApiScope))!;
        var descriptor = new OpenIddictScopeDescriptor();
        await scopes.PopulateAsync(descriptor, api);
        descriptor.Resources.Clear();
        descriptor.Resources.UnionWith(resources);
        await scopes.UpdateAsync(api, descriptor);
    }
}
