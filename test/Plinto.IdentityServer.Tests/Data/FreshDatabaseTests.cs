using System.Net;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Data;

/// <summary>
/// A node's first start on an empty database (as the Helm chart's and the compose file's PostgreSQL create it):
/// migrated, ready, and nothing at Error level, because operators alert on it. EF Core logs its own failed read of a
/// missing history table at Error (dotnet/efcore#37328); <see cref="MigrationState"/> asks the catalog first.
/// </summary>
[TestFixtureSource(typeof(TestDatabases), nameof(TestDatabases.All))]
internal sealed class FreshDatabaseTests(DatabaseProvider provider)
{
    [Test]
    public async Task A_first_start_on_an_empty_database_migrates_it_and_logs_no_error()
    {
        var log = new RecordingLog();
        await using var factory = await PlintoFactory.CreateAsync(provider);
        await using var node = log.On(factory);

        using var ready = await node.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(log.Errors(), Is.Empty);
    }
}

/// <summary>
/// Nodes of one cluster starting together on an empty PostgreSQL database (the chart's replicas with
/// <c>MigrateOnStart=true</c>): they migrate in turn under the startup lock, and both come up without an error line.
/// SQLite is one node on one file (no cluster), so this runs on PostgreSQL only.
/// </summary>
internal sealed class FreshClusterDatabaseTests
{
    [Test]
    public async Task Two_nodes_starting_together_on_an_empty_postgresql_database_both_come_up()
    {
        var log = new RecordingLog();
        await using var first = await PlintoFactory.CreateAsync(DatabaseProvider.PostgreSql);
        // The second node: the same database, its own data folder (keys, mail).
        var folder = Directory.CreateTempSubdirectory("plinto-test-").FullName;
        await using var second = new PlintoFactory(DatabaseProvider.PostgreSql, first.ConnectionString, folder) { OwnsFolder = true };
        await using var firstNode = log.On(first);
        await using var secondNode = log.On(second);

        var starts = await Task.WhenAll(
            Task.Run(() => firstNode.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative))),
            Task.Run(() => secondNode.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative))));

        Assert.That(starts.Select(response => response.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(log.Errors(), Is.Empty);
        foreach (var response in starts)
        {
            response.Dispose();
        }
    }
}
