using Npgsql;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Jobs;

/// <summary>
/// Nodes of one Quartz cluster (hosts on one PostgreSQL database) leave a stored trigger alone when they start, unless
/// its schedule changed: re-storing it reset a trigger another node had acquired, and two nodes ran that firing.
/// </summary>
internal sealed class JobTriggersTests
{
    private const string Schedule = "0 0 3 1 1 ? 2099";

    [Test]
    public async Task A_starting_node_keeps_the_stored_trigger_and_replaces_it_only_when_its_schedule_changed()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-triggers-").FullName;
        var connectionString = await TestDatabases.CreateAsync(DatabaseProvider.PostgreSql, folder);
        var nodes = new List<PlintoFactory>();
        try
        {
            StartNode(nodes, connectionString, folder, Schedule);
            var stored = await ReadTriggerAsync(connectionString);
            Assert.That(stored.Cron, Is.EqualTo(Schedule));
            Assert.That(stored.State, Is.EqualTo("WAITING"));

            // What a node does when its next firing is due: it acquires the trigger (and fires it when the time comes).
            await ExecuteAsync(connectionString, "UPDATE qrtz_triggers SET trigger_state = 'ACQUIRED' WHERE trigger_name = 'token-pruning-schedule'");

            StartNode(nodes, connectionString, folder, Schedule);
            var afterSecondNode = await ReadTriggerAsync(connectionString);
            Assert.That(afterSecondNode.State, Is.EqualTo("ACQUIRED"), "a node's start made an acquired trigger acquirable again");
            Assert.That(afterSecondNode.StartTime, Is.EqualTo(stored.StartTime), "a node's start stored the trigger again");

            // A changed configuration still takes effect: the node that has it replaces the stored trigger.
            StartNode(nodes, connectionString, folder, "0 0 4 1 1 ? 2099");
            var changed = await ReadTriggerAsync(connectionString);
            Assert.That(changed.Cron, Is.EqualTo("0 0 4 1 1 ? 2099"));
            Assert.That(changed.State, Is.EqualTo("WAITING"));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    private static void StartNode(List<PlintoFactory> nodes, string connectionString, string folder, string schedule)
    {
        var nodeFolder = Directory.CreateDirectory(Path.Combine(folder, $"node{nodes.Count + 1}")).FullName;
        var node = new PlintoFactory(DatabaseProvider.PostgreSql, connectionString, nodeFolder, new Dictionary<string, string?>
        {
            ["Plinto:Jobs:Enabled"] = "true",
            ["Plinto:Jobs:TokenPruningSchedule"] = schedule,
        });
        nodes.Add(node);
        _ = node.Server; // started: its triggers are stored
    }

    private static async Task<(string Cron, string State, long StartTime)> ReadTriggerAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT c.cron_expression, t.trigger_state, t.start_time
            FROM qrtz_triggers t
            JOIN qrtz_cron_triggers c ON c.sched_name = t.sched_name AND c.trigger_name = t.trigger_name AND c.trigger_group = t.trigger_group
            WHERE t.trigger_name = 'token-pruning-schedule'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True, "the pruning trigger is stored");
        var result = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
        Assert.That(await reader.ReadAsync(), Is.False, "one pruning trigger");
        return result;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        Assert.That(await command.ExecuteNonQueryAsync(), Is.EqualTo(1));
    }
}
