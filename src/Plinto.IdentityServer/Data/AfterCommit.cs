using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace Plinto.IdentityServer.Data;

/// <summary>
/// Work that must follow the commit of the transaction a context is in, or happen now when it is in none. A node that
/// forgets a cached session while its revocation is still uncommitted can read and cache the old, committed state
/// again before the commit (PostgreSQL and SQLite in WAL mode let readers see it); forgetting once more after the
/// commit closes that window (<see cref="ClusterCacheSignals.ForgetEverywhereAsync"/>).
/// </summary>
internal sealed class AfterCommit : DbTransactionInterceptor
{
    public static readonly AfterCommit Interceptor = new();

    // Keyed by the open transaction; an entry of a transaction that is never committed goes with it.
    private static readonly ConditionalWeakTable<DbTransaction, List<Action>> Pending = [];

    private AfterCommit()
    {
    }

    public static void Run(DbContext db, Action action)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(action);
        if (db.Database.CurrentTransaction?.GetDbTransaction() is not { } transaction)
        {
            action();
            return;
        }

        var actions = Pending.GetOrCreateValue(transaction);
        lock (actions)
        {
            actions.Add(action);
        }
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => RunPending(transaction);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        RunPending(transaction);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Pending.Remove(transaction);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Pending.Remove(transaction);
        return Task.CompletedTask;
    }

    private static void RunPending(DbTransaction transaction)
    {
        if (!Pending.TryGetValue(transaction, out var actions))
        {
            return;
        }

        Pending.Remove(transaction);
        Action[] run;
        lock (actions)
        {
            run = [.. actions];
        }

        foreach (var action in run)
        {
            action();
        }
    }
}
