using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Plinto.IdentityServer.Data;

/// <summary>
/// Something a node keeps in memory for a while (clients and scopes, the state of browser sessions) that a write on
/// another node can make stale.
/// </summary>
internal interface IClusterCache
{
    /// <summary>The name its signals go by ("catalog", "session").</summary>
    string Topic { get; }

    /// <summary>Forgets the entries for <paramref name="keys"/> (ids without commas or spaces), or everything when null.</summary>
    void Forget(IReadOnlyList<string>? keys);
}

/// <summary>
/// Tells the other nodes of a cluster that what they may hold in memory changed, so that a session revoked or a
/// client changed on one node applies on all of them at once, not after their cache lifetime (30 s). On PostgreSQL
/// through <c>NOTIFY</c>/<c>LISTEN</c> on one channel (<see cref="ClusterCacheListener"/> listens): a notification
/// sent inside a transaction is delivered when it commits, and only then (PostgreSQL documentation, NOTIFY), so a node
/// that hears of a change and reads again reads the change. SQLite is one node and needs none; on SQL Server the
/// cache lifetimes are the bound (docs/operations.md). The lifetimes stay the bound everywhere for a signal that is
/// lost (a listener reconnecting forgets everything it cached, since it may have missed some).
/// </summary>
internal sealed class ClusterCacheSignals(IEnumerable<IClusterCache> caches)
{
    public const string Channel = "plinto_cache";

    // PostgreSQL refuses a payload of 8000 bytes or more (NOTIFY); session ids are 32 characters.
    private const int MaxPayload = 7000;

    private readonly Dictionary<string, IClusterCache> topics = caches.ToDictionary(c => c.Topic, StringComparer.Ordinal);

    // This process: its own signals come back to it and are skipped (it forgot the entries itself).
    private readonly string node = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// Forgets <paramref name="keys"/> of <paramref name="cache"/> (everything when null) on this node, and tells the
    /// other nodes to do the same. Call it after the write, in its transaction (it then takes effect at the commit) or once it committed.
    /// </summary>
    public async Task ForgetEverywhereAsync(PlintoDbContext db, IClusterCache cache, IReadOnlyList<string>? keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(cache);
        // In a transaction, at its commit, as the other nodes get the signal: until then the committed state is the old
        // one, and a read of it kept before the commit would outlive the change.
        AfterCommit.Run(db, () => cache.Forget(keys));

        if (keys is { Count: 0 } || !db.RunsOnPostgreSql())
        {
            return;
        }

        foreach (var payload in Payloads(cache.Topic, keys ?? []))
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {payload})", cancellationToken);
        }
    }

    /// <summary>A signal from the channel: "{node} {topic} {key,key,...}", no keys for everything.</summary>
    public void Receive(string payload)
    {
        var parts = payload.Split(' ', 3);
        if (parts.Length != 3 || parts[0] == node || !topics.TryGetValue(parts[1], out var cache))
        {
            return;
        }

        cache.Forget(parts[2].Length == 0 ? null : parts[2].Split(','));
    }

    /// <summary>After listening again: whatever changed while nobody listened is unknown.</summary>
    public void ForgetEverything()
    {
        foreach (var cache in topics.Values)
        {
            cache.Forget(null);
        }
    }

    /// <summary>The signals that name <paramref name="keys"/>: as many as PostgreSQL's payload limit needs.</summary>
    internal IEnumerable<string> Payloads(string topic, IEnumerable<string> keys)
    {
        var prefix = $"{node} {topic} ";
        var payload = new System.Text.StringBuilder(prefix);
        foreach (var key in keys)
        {
            if (payload.Length > prefix.Length && payload.Length + key.Length + 1 > MaxPayload)
            {
                yield return payload.ToString();
                payload.Clear().Append(prefix);
            }

            payload.Append(payload.Length > prefix.Length ? "," : string.Empty).Append(key);
        }

        yield return payload.ToString();
    }
}

/// <summary>
/// Listens on PostgreSQL for <see cref="ClusterCacheSignals"/> on a connection of its own (not from the pool), from
/// before the node serves, and comes back after losing it: one second, then doubling up to 30 s. While it is not
/// listening, the caches' own lifetimes bound how stale a node can be; once it listens again it forgets everything it
/// cached.
/// </summary>
internal sealed partial class ClusterCacheListener(
    ClusterCacheSignals signals,
    IOptions<DatabaseOptions> options,
    ILogger<ClusterCacheListener> logger) : BackgroundService
{
    /// <summary>Its connections carry this application name (pg_stat_activity).</summary>
    public const string ApplicationName = "plinto-cache-signals";

    private static readonly TimeSpan Ping = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(30);

    // The connection opened at start (a DbConnection: Npgsql's own types stay out of this class's shape).
    private System.Data.Common.DbConnection? first;

    private string? ConnectionString => options.Value is { Provider: DatabaseProvider.PostgreSql, ConnectionString: { Length: > 0 } value } ? value : null;

    /// <summary>
    /// Listens before the node serves its first request, so that nothing it caches can predate its listening. A
    /// database that does not answer yet does not stop the start: the listener keeps trying in the background.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (ConnectionString is { } connectionString)
        {
            try
            {
                first = await ConnectAsync(connectionString, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogLost(logger, exception.GetType().Name, exception.Message, 1);
            }
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (ConnectionString is not { } connectionString)
        {
            return;
        }

        var pause = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var connection = first ?? await ConnectAsync(connectionString, stoppingToken);
                if (first is null)
                {
                    // Listening again (or late): whatever changed while nobody listened is unknown.
                    signals.ForgetEverything();
                }

                first = null;
                pause = TimeSpan.FromSeconds(1);
                await WaitAsync(connection, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The kind and the server's words only: never the connection string.
                LogLost(logger, exception.GetType().Name, exception.Message, pause.TotalSeconds);
            }

            await Task.Delay(pause, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
    }

    // Npgsql's types only in the two methods below: a node on SQLite never loads Npgsql (docs/performance.md, lever 17).
    private async Task<System.Data.Common.DbConnection> ConnectAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString)
        {
            // One long-lived connection, outside the pool the requests use.
            Pooling = false,
            ApplicationName = ApplicationName,
        };
        var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
        try
        {
            connection.Notification += (_, e) => signals.Receive(e.Payload);
            await connection.OpenAsync(cancellationToken);
            await using var listen = new Npgsql.NpgsqlCommand($"LISTEN {ClusterCacheSignals.Channel}", connection);
            await listen.ExecuteNonQueryAsync(cancellationToken);
            LogListening(logger);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task WaitAsync(System.Data.Common.DbConnection listening, CancellationToken stoppingToken)
    {
        await using var connection = (Npgsql.NpgsqlConnection)listening;
        await using var ping = new Npgsql.NpgsqlCommand("SELECT 1", connection);
        while (true)
        {
            // A quiet connection is checked now and then: a dead one fails the ping instead of waiting for ever.
            if (!await connection.WaitAsync(Ping, stoppingToken))
            {
                await ping.ExecuteNonQueryAsync(stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for cache signals from the other nodes.")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listening for cache signals from the other nodes ({FailureType}: {Failure}); retrying in {Seconds} s. Until then, changes made on other nodes apply here within the cache lifetimes (30 s).")]
    private static partial void LogLost(ILogger logger, string failureType, string failure, double seconds);
}
