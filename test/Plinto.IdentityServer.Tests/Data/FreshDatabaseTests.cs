using System.Net;
using Npgsql;
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
/// Where the history table is looked for on PostgreSQL: as EF Core reads it, through the search_path. A schema named
/// after the role, created after the install (a common way to give a role its own schema since PostgreSQL 15 took the
/// create right on public away), comes first in the default path ("$user", public) but holds no table: the check must
/// still find the history in public, not create a second, empty one and migrate a second set of tables beside it.
/// </summary>
internal sealed class MigrationHistorySchemaTests
{
    [Test]
    public async Task A_schema_named_after_the_role_added_later_does_not_start_a_second_set_of_tables()
    {
        var log = new RecordingLog();
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.PostgreSql);
        await using var node = log.On(factory);
        _ = node.Server; // migrated into public
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE SCHEMA AUTHORIZATION CURRENT_USER", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        await node.Services.MigratePlintoDatabaseAsync(CancellationToken.None);

        await using var tables = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = current_user", connection);
        Assert.That((long)(await tables.ExecuteScalarAsync())!, Is.Zero, "nothing created in the role's schema");
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
