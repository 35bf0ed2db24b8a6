using System.Net;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Data;

/// <summary>
/// Two nodes in this process on one PostgreSQL database. Node B keeps clients for 10 minutes and sessions for 30 s
/// (<c>Plinto:Tokens:CatalogCacheLifetime</c>, <c>UserSessions.CacheFor</c>), so when a change made through node A
/// applies on node B within a few seconds, it is node A's signal that made node B read again.
/// </summary>
[NonParallelizable]
internal sealed class ClusterCacheSignalsTests
{
    private static readonly TimeSpan AtOnce = TimeSpan.FromSeconds(5);

    private PlintoFactory nodeA = null!;
    private PlintoFactory nodeB = null!;
    private string[] machinePermissions = [];

    [OneTimeSetUp]
    public async Task StartNodesAsync()
    {
        nodeA = await CreateAsync(DatabaseProvider.PostgreSql);
        _ = nodeA.Server;
        // The same database and data folder (keys): a second node of the same cluster.
        nodeB = new PlintoFactory(DatabaseProvider.PostgreSql, nodeA.ConnectionString, nodeA.Folder,
            new Dictionary<string, string?> { ["Plinto:Tokens:CatalogCacheLifetime"] = "00:10:00" });
        _ = nodeB.Server;
        await WaitUntilBothListenAsync();

        await using var scope = nodeA.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        machinePermissions = [.. await applications.GetPermissionsAsync((await applications.FindByClientIdAsync(MachineClientId))!)];
        Assert.That(machinePermissions, Does.Contain(OpenIddictConstants.Permissions.GrantTypes.ClientCredentials));
    }

    [OneTimeTearDown]
    public async Task StopNodesAsync()
    {
        await nodeB.DisposeAsync();
        await nodeA.DisposeAsync();
    }

    [Test]
    public async Task A_client_secret_rotated_or_a_client_disabled_on_one_node_is_refused_by_the_other_at_once()
    {
        using var clientB = nodeB.CreateClient();
        Assert.That((await MachineTokenAsync(clientB, MachineSecret)).Status, Is.EqualTo(HttpStatusCode.OK), "node B now holds the client");

        const string rotated = "machine-rotated-on-node-a-0123456789-abcdefgh";
        await UpdateMachineAsync(nodeA, descriptor => descriptor.ClientSecret = rotated);
        try
        {
            await WaitUntilAsync(async () => (await MachineTokenAsync(clientB, MachineSecret)).Error == "invalid_client",
                "the old secret is refused by node B");
            Assert.That((await MachineTokenAsync(clientB, rotated)).Status, Is.EqualTo(HttpStatusCode.OK));

            await UpdateMachineAsync(nodeA, descriptor => descriptor.Permissions.Clear());
            await WaitUntilAsync(async () => (await MachineTokenAsync(clientB, rotated)).Status != HttpStatusCode.OK,
                "the disabled client is refused by node B");
        }
        finally
        {
            await RestoreMachineAsync();
        }
    }

    [Test]
    public async Task A_session_revoked_on_one_node_ends_on_the_other_at_once()
    {
        var email = UniqueUser.Email("two-nodes");
        var user = await nodeA.CreateUserAsync(email, UniqueUser.Password);
        var cookies = new CookieContainer();
        var browserA = new Browser(ClientWithCookies(nodeA, cookies));
        var (_, page) = await browserA.OpenAsync("/account/signin");
        var signedIn = await browserA.SubmitAsync(page, new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = UniqueUser.Password });
        Assert.That(Browser.IsRedirect(signedIn), Is.True, "signed in at node A");

        var browserB = new Browser(ClientWithCookies(nodeB, cookies));
        Assert.That((await browserB.GetAsync("/account/manage/sessions")).StatusCode, Is.EqualTo(HttpStatusCode.OK),
            "the session cookie from node A works at node B, which now holds the session as live");

        await using (var scope = nodeA.Services.CreateAsyncScope())
        {
            Assert.That(await scope.ServiceProvider.GetRequiredService<UserSessions>().RevokeAllAsync(user.Id, keep: null), Is.EqualTo(1));
        }

        await WaitUntilAsync(async () =>
        {
            var response = await browserB.GetAsync("/account/manage/sessions");
            return Browser.IsRedirect(response) && browserB.RedirectTarget(response).AbsolutePath == "/account/signin";
        }, "node B sends the revoked session to sign in");
    }

    [Test]
    public async Task A_node_that_lost_its_listening_connection_listens_again_and_forgets_what_it_held()
    {
        using var clientB = nodeB.CreateClient();
        Assert.That((await MachineTokenAsync(clientB, MachineSecret)).Status, Is.EqualTo(HttpStatusCode.OK), "node B now holds the client");

        // Both nodes lose their listening connections; node A's signal goes out while node B does not listen (it waits
        // a second before it tries again), so node B can only learn of the change by forgetting everything once it
        // listens again.
        Assert.That(await ExecuteAsync($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE {Listeners}"), Is.EqualTo(2));
        const string rotated = "machine-rotated-while-deaf-0123456789-abcdefg";
        await UpdateMachineAsync(nodeA, descriptor => descriptor.ClientSecret = rotated);
        try
        {
            await WaitUntilBothListenAsync();
            await WaitUntilAsync(async () => (await MachineTokenAsync(clientB, MachineSecret)).Error == "invalid_client",
                "node B forgot the client it held when it listened again");
            Assert.That((await MachineTokenAsync(clientB, rotated)).Status, Is.EqualTo(HttpStatusCode.OK));
        }
        finally
        {
            await RestoreMachineAsync();
        }
    }

    // The listening connections of this test's database (idle after LISTEN, or after a ping).
    private const string Listeners = "datname = current_database() AND application_name = 'plinto-cache-signals'";

    private async Task WaitUntilBothListenAsync() =>
        await WaitUntilAsync(async () => await ExecuteAsync($"SELECT count(*) FROM pg_stat_activity WHERE {Listeners} AND state = 'idle' AND (query LIKE 'LISTEN%' OR query = 'SELECT 1')") == 2,
            "both nodes listen", TimeSpan.FromSeconds(15));

    private async Task<long> ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(nodeA.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? AtOnce);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {(within ?? AtOnce).TotalSeconds} s: {what}.");
            }

            await Task.Delay(100);
        }
    }

    private static Task<TokenResponse> MachineTokenAsync(HttpClient client, string secret) =>
        OidcClient.TokenAsync(client, MachineClientId, secret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });

    private static async Task UpdateMachineAsync(PlintoFactory node, Action<OpenIddictApplicationDescriptor> change)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        // Read by id: the entity tracked by this scope's context, as an administrator's change would load it.
        var id = await applications.GetIdAsync((await applications.FindByClientIdAsync(MachineClientId))!);
        var machine = (await applications.FindByIdAsync(id!))!;
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, machine);
        change(descriptor);
        await applications.UpdateAsync(machine, descriptor);
    }

    private async Task RestoreMachineAsync()
    {
        await UpdateMachineAsync(nodeA, descriptor =>
        {
            descriptor.ClientSecret = MachineSecret;
            descriptor.Permissions.Clear();
            descriptor.Permissions.UnionWith(machinePermissions);
        });
        using var clientB = nodeB.CreateClient();
        await WaitUntilAsync(async () => (await MachineTokenAsync(clientB, MachineSecret)).Status == HttpStatusCode.OK,
            "the machine client works at node B again");
    }

    private static HttpClient ClientWithCookies(PlintoFactory node, CookieContainer cookies) =>
        node.CreateDefaultClient(new Uri("https://localhost"), new CookieContainerHandler(cookies));
}

/// <summary>The signals' format, without a database: split to fit PostgreSQL's payload limit, and read back whole.</summary>
internal sealed class ClusterCacheSignalPayloadTests
{
    [Test]
    public void Many_keys_travel_in_signals_PostgreSQL_accepts_and_each_arrives_once()
    {
        var sender = new ClusterCacheSignals([]);
        var received = new Recorder("session");
        var receiver = new ClusterCacheSignals([received]);
        var ids = Enumerable.Range(0, 600).Select(i => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([(byte)i, (byte)(i >> 8)]))[..32]).ToList();

        var payloads = sender.Payloads("session", ids).ToList();
        foreach (var payload in payloads)
        {
            receiver.Receive(payload);
        }

        // PostgreSQL: "the payload ... must be shorter than 8000 bytes" (NOTIFY).
        Assert.That(payloads, Has.Count.GreaterThan(1));
        Assert.That(payloads.Select(p => System.Text.Encoding.UTF8.GetByteCount(p)), Has.All.LessThan(8000));
        Assert.That(received.Forgotten.SelectMany(keys => keys!), Is.EqualTo(ids));
    }

    [Test]
    public void A_signal_means_everything_without_keys_and_nothing_to_its_sender_or_to_another_topic()
    {
        var received = new Recorder("catalog");
        var node = new ClusterCacheSignals([received]);
        var other = new ClusterCacheSignals([]);

        node.Receive(other.Payloads("catalog", []).Single());
        node.Receive(node.Payloads("catalog", ["x"]).Single());
        node.Receive(other.Payloads("session", ["y"]).Single());

        Assert.That(received.Forgotten, Is.EqualTo(new IReadOnlyList<string>?[] { null }), "one signal: everything, from the other node");
    }

    private sealed class Recorder(string topic) : IClusterCache
    {
        public List<IReadOnlyList<string>?> Forgotten { get; } = [];

        public string Topic => topic;

        public void Forget(IReadOnlyList<string>? keys) => Forgotten.Add(keys);
    }
}
