using Microsoft.EntityFrameworkCore;

namespace Plinto.IdentityServer.Data;

/// <summary>
/// A database-wide lock for start-up work that several nodes would otherwise race on (the client catalog, the
/// bootstrap administrator): PostgreSQL advisory lock, SQL Server application lock, both held by the context's
/// connection until disposed. SQLite is one node on one file, so there is nothing to take.
/// </summary>
internal sealed class StartupLock : IAsyncDisposable
{
    private readonly PlintoDbContext context;
    private readonly string name;

    private StartupLock(PlintoDbContext context, string name)
    {
        this.context = context;
        this.name = name;
    }

    public static async Task<StartupLock> AcquireAsync(PlintoDbContext context, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var startupLock = new StartupLock(context, name);
        if (context.RunsOnSqlite())
        {
            return startupLock;
        }

        // The lock belongs to the session: keep one connection open for the whole critical section.
        await context.Database.OpenConnectionAsync(cancellationToken);
        if (context.RunsOnPostgreSql())
        {
            await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({Key(name)})", cancellationToken);
        }
        else
        {
            // Like pg_advisory_lock: wait without a limit of the lock's own (the command timeout bounds the wait), and
            // fail rather than run unlocked when the lock is not granted — sp_getapplock reports that in its return
            // code (-1 timeout, -2 cancelled, -3 deadlock victim, -999 error), not as an error.
            await context.Database.ExecuteSqlAsync(
                $"""
                DECLARE @result int;
                EXEC @result = sp_getapplock @Resource = {name}, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = -1;
                IF @result < 0 THROW 51000, N'The start-up lock was not granted.', 1;
                """,
                cancellationToken);
        }

        return startupLock;
    }

    public async ValueTask DisposeAsync()
    {
        if (context.RunsOnSqlite())
        {
            return;
        }

        if (context.RunsOnPostgreSql())
        {
            await context.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({Key(name)})");
        }
        else
        {
            await context.Database.ExecuteSqlAsync($"EXEC sp_releaseapplock @Resource = {name}, @LockOwner = 'Session'");
        }

        await context.Database.CloseConnectionAsync();
    }

    // A stable 64-bit key per name (string.GetHashCode is randomized per process).
    private static long Key(string name) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("plinto:" + name)), 0);
}
