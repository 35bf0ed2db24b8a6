using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Npgsql;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Cluster;

/// <summary>
/// Three Plinto processes on one PostgreSQL, as the Helm chart runs them: migrations first (the
/// <c>migrate</c> command, as the pre-install hook does), then nodes with MigrateOnStart=false sharing the
/// signing/encryption key files, the data protection key ring and the Quartz cluster through the database; and a
/// fourth node with the jobs off (<c>Plinto:Jobs:Enabled=false</c>), which must stay out of the Quartz cluster.
/// </summary>
[NonParallelizable]
internal sealed partial class MultiNodeTests
{
    private const string AdminEmail = "operator@cluster.test";
    private const string AdminPassword = "cluster-operator-passphrase-7";

    private readonly List<PlintoProcess> nodes = [];
    private readonly CookieContainer cookies = new();
    private string folder = null!;
    private string connectionString = null!;
    private int metricsPort;

    private PlintoProcess Node1 => nodes[0];

    private PlintoProcess Node2 => nodes[1];

    private PlintoProcess Node3 => nodes[2];

    private PlintoProcess NodeWithoutJobs => nodes[3];

    [OneTimeSetUp]
    public async Task StartClusterAsync()
    {
        folder = Directory.CreateTempSubdirectory("plinto-cluster-").FullName;
        connectionString = await TestDatabases.CreateAsync(DatabaseProvider.PostgreSql, folder);
        var settings = PlintoFactory.BaseSettings(DatabaseProvider.PostgreSql, connectionString, folder);
        settings["Plinto:Issuer"] = "http://plinto.cluster.test/";
        settings["Plinto:RequireHttps"] = "false";
        settings["Plinto:Database:MigrateOnStart"] = "false";
        settings["Plinto:Bootstrap:AdminEmail"] = AdminEmail;
        settings["Plinto:Bootstrap:AdminPassword"] = AdminPassword;
        // The production default: a retry after a lost response may present the same refresh token again.
        settings["Plinto:Tokens:RefreshTokenReuseLeeway"] = "00:00:30";
        settings["Plinto:Jobs:Enabled"] = "true";
        settings["Plinto:Jobs:TokenPruningSchedule"] = "0/2 * * * * ?";
        settings["Plinto:Keys:SigningKeyFiles:0"] = WriteKey("signing.pem");
        settings["Plinto:Keys:EncryptionKeyFiles:0"] = WriteKey("encryption.pem");

        var (exitCode, output) = await PlintoProcess.RunAsync(settings, "migrate");
        Assert.That(exitCode, Is.Zero, output);

        metricsPort = PlintoProcess.FreePort();
        for (var i = 0; i < 4; i++)
        {
            var nodeSettings = new Dictionary<string, string?>(settings)
            {
                // Each node its own data folder: nothing may be shared through the file system.
                ["Plinto:DataDirectory"] = Directory.CreateDirectory(Path.Combine(folder, $"node{i + 1}")).FullName,
            };
            if (i == 3)
            {
                nodeSettings["Plinto:Jobs:Enabled"] = "false";
            }

            if (i == 0)
            {
                nodeSettings["Plinto:Telemetry:PrometheusPort"] = metricsPort.ToString(CultureInfo.InvariantCulture);
            }

            nodes.Add(PlintoProcess.Start(nodeSettings, extraPort: i == 0 ? metricsPort : null));
        }

        await Task.WhenAll(nodes.Select(node => node.WaitUntilReadyAsync(TimeSpan.FromSeconds(90))));
    }

    [OneTimeTearDown]
    public async Task StopClusterAsync()
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }

        Directory.Delete(folder, recursive: true);
    }

    [Test, Order(1)]
    public async Task A_session_a_code_and_a_refresh_token_move_between_nodes()
    {
        // Signed in at node 1; the authorization code comes from node 1 too.
        var browser1 = BrowserFor(Node1);
        var pkce = OidcClient.NewPkce();
        var redirect = await OidcClient.AuthorizeAsync(browser1, AuthorizeUrl(pkce), AdminEmail, AdminPassword);
        var code = OidcClient.Query(redirect)["code"];

        // Redeemed at node 2.
        using var client2 = ClientFor(Node2);
        var tokens = await OidcClient.RedeemCodeAsync(client2, code, PlintoFactory.ConfidentialRedirect, pkce,
            PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(tokens.Status, Is.EqualTo(HttpStatusCode.OK), tokens.Json.ToString());

        // Rotated at node 3, and the new refresh token works at node 1.
        using var client3 = ClientFor(Node3);
        var rotated = await OidcClient.RefreshAsync(client3, tokens.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(rotated.Status, Is.EqualTo(HttpStatusCode.OK), rotated.Json.ToString());
        Assert.That(rotated.Get("refresh_token"), Is.Not.EqualTo(tokens.Get("refresh_token")));
        using var client1 = ClientFor(Node1);
        var again = await OidcClient.RefreshAsync(client1, rotated.Get("refresh_token"), PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
        Assert.That(again.Status, Is.EqualTo(HttpStatusCode.OK), again.Json.ToString());

        // The session cookie issued by node 1 is accepted at node 2: no sign-in page, straight back to the client.
        var browser2 = BrowserFor(Node2);
        var silent = await OidcClient.AuthorizeAsync(browser2, AuthorizeUrl(OidcClient.NewPkce()));
        Assert.That(OidcClient.Query(silent), Does.ContainKey("code"));

        // An access token from node 3 is accepted by node 2's userinfo endpoint.
        using var userinfo = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        userinfo.Headers.Authorization = new("Bearer", rotated.Get("access_token"));
        using var response = await client2.SendAsync(userinfo);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test, Order(2)]
    public async Task Each_firing_of_the_pruning_job_runs_on_exactly_one_node()
    {
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM qrtz_scheduler_state", connection);
            // Three: the node with the jobs off starts no scheduler (a clustered one would run the stored triggers).
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo(3L), "three scheduler instances checked in to the cluster");
        }

        // The schedule fires every 2 seconds; wait for several firings.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<(int Node, string Scheduled)> firings;
        do
        {
            await Task.Delay(1000);
            firings = nodes.SelectMany((node, i) => FiringLine().Matches(node.Output).Select(m => (i + 1, m.Groups["scheduled"].Value))).ToList();
        }
        while (firings.Select(f => f.Scheduled).Distinct().Count() < 5 && DateTime.UtcNow < deadline);

        var duplicates = firings.GroupBy(f => f.Scheduled).Where(g => g.Count() > 1).Select(g => $"{g.Key} on nodes {string.Join(",", g.Select(f => f.Node))}").ToList();
        // On failure, say what each node ran (this test once failed under load and passed on its own; the lines tell
        // a missed firing from one that ran twice).
        var ran = string.Join("; ", firings.OrderBy(f => f.Scheduled, StringComparer.Ordinal).Select(f => $"{f.Scheduled} on node {f.Node}"));
        Assert.That(firings.Select(f => f.Scheduled).Distinct().Count(), Is.GreaterThanOrEqualTo(5), $"the job fired every 2 s for 30 s; ran: {ran}");
        Assert.That(duplicates, Is.Empty, $"a firing ran on more than one node; ran: {ran}");
        Assert.That(firings.Where(f => f.Node == nodes.IndexOf(NodeWithoutJobs) + 1), Is.Empty, "the node with the jobs off ran a firing");
    }

    [Test, Order(3)]
    public async Task Metrics_are_served_on_the_metrics_port_and_not_on_the_public_one()
    {
        using var client1 = ClientFor(Node1);
        var issued = await OidcClient.TokenAsync(client1, PlintoFactory.MachineClientId, PlintoFactory.MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = PlintoFactory.ApiScope });
        Assert.That(issued.Status, Is.EqualTo(HttpStatusCode.OK), issued.Json.ToString());
        var refused = await OidcClient.TokenAsync(client1, PlintoFactory.MachineClientId, "not-the-secret",
            new Dictionary<string, string> { ["grant_type"] = "client_credentials" });
        Assert.That(refused.Error, Is.EqualTo("invalid_client"));

        using var scraper = new HttpClient();
        var metrics = await scraper.GetStringAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
        Assert.That(metrics, Does.Match("plinto_token_responses_total\\{[^}]*error=\"none\"[^}]*grant_type=\"client_credentials\""));
        Assert.That(metrics, Does.Match("plinto_token_responses_total\\{[^}]*error=\"invalid_client\""));
        Assert.That(metrics, Does.Contain("http_server_request_duration_seconds"));
        Assert.That(metrics, Does.Not.Contain(PlintoFactory.MachineSecret));

        using var publicPort = await client1.GetAsync("/metrics");
        Assert.That(publicPort.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test, Order(4)]
    public async Task Killing_a_node_under_load_fails_no_request_to_the_others_and_loses_no_refresh_token()
    {
        var browser = BrowserFor(Node1);
        await OidcClient.AuthorizeAsync(browser, AuthorizeUrl(OidcClient.NewPkce()), AdminEmail, AdminPassword);
        var chains = new string[6];
        using (var client = ClientFor(Node2))
        {
            for (var i = 0; i < chains.Length; i++)
            {
                var pkce = OidcClient.NewPkce();
                var code = OidcClient.Query(await OidcClient.AuthorizeAsync(browser, AuthorizeUrl(pkce)))["code"];
                var tokens = await OidcClient.RedeemCodeAsync(client, code, PlintoFactory.ConfidentialRedirect, pkce,
                    PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
                chains[i] = tokens.Get("refresh_token");
            }
        }

        var clients = nodes.Select(ClientFor).ToArray();
        var survivorFailures = new ConcurrentQueue<string>();
        var succeeded = 0;
        var node1Dying = false;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));

        async Task RefreshLoop(int chain)
        {
            var turn = chain;
            while (!stop.IsCancellationRequested)
            {
                var target = turn++ % 3;
                try
                {
                    var result = await OidcClient.RefreshAsync(clients[target], chains[chain], PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
                    if (result.Status == HttpStatusCode.OK)
                    {
                        chains[chain] = result.Get("refresh_token");
                        Interlocked.Increment(ref succeeded);
                    }
                    else if (!(target == 0 && Volatile.Read(ref node1Dying)))
                    {
                        survivorFailures.Enqueue($"node {target + 1}: {(int)result.Status} {result.Json}");
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or IOException or TaskCanceledException or System.Text.Json.JsonException)
                {
                    // A request to the node being killed may die with it; the client retries the same refresh
                    // token at another node (within the reuse leeway, should node 1 have rotated it already).
                    if (!(target == 0 && Volatile.Read(ref node1Dying)))
                    {
                        survivorFailures.Enqueue($"node {target + 1}: {exception.GetType().Name} {exception.Message}");
                    }
                }
            }
        }

        async Task ClientCredentialsLoop()
        {
            var turn = 0;
            while (!stop.IsCancellationRequested)
            {
                var target = 1 + (turn++ % 2);
                try
                {
                    var result = await OidcClient.TokenAsync(clients[target], PlintoFactory.MachineClientId, PlintoFactory.MachineSecret,
                        new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = PlintoFactory.ApiScope });
                    if (result.Status == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref succeeded);
                    }
                    else
                    {
                        survivorFailures.Enqueue($"node {target + 1}: {(int)result.Status} {result.Json}");
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or IOException or TaskCanceledException)
                {
                    survivorFailures.Enqueue($"node {target + 1}: {exception.GetType().Name} {exception.Message}");
                }
            }
        }

        var load = Enumerable.Range(0, chains.Length).Select(RefreshLoop).Append(ClientCredentialsLoop()).ToList();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var beforeKill = Volatile.Read(ref succeeded);
        Volatile.Write(ref node1Dying, true);
        Node1.Kill();
        await Task.WhenAll(load);

        Assert.That(beforeKill, Is.GreaterThan(20), "load was running when the node died");
        Assert.That(Volatile.Read(ref succeeded), Is.GreaterThan(beforeKill + 20), "load went on after the node died");
        Assert.That(survivorFailures, Is.Empty, "requests to the surviving nodes failed");

        // Every refresh token a client holds still works.
        for (var i = 0; i < chains.Length; i++)
        {
            var final = await OidcClient.RefreshAsync(clients[1 + (i % 2)], chains[i], PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialSecret);
            Assert.That(final.Status, Is.EqualTo(HttpStatusCode.OK), $"chain {i}: {final.Json}");
        }

        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    private static string AuthorizeUrl(OidcClient.Pkce pkce) =>
        OidcClient.AuthorizeUrl(PlintoFactory.ConfidentialClientId, PlintoFactory.ConfidentialRedirect, "openid offline_access", pkce);

    private Browser BrowserFor(PlintoProcess node) => new(ClientFor(node));

    private HttpClient ClientFor(PlintoProcess node) =>
        new(new HttpClientHandler { CookieContainer = cookies, UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = node.BaseAddress,
            Timeout = TimeSpan.FromSeconds(20),
        };

    private string WriteKey(string name)
    {
        using var rsa = RSA.Create(2048);
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        return path;
    }

    [GeneratedRegex(@"Token pruning firing scheduled for (?<scheduled>\S+) ran here")]
    private static partial Regex FiringLine();
}
