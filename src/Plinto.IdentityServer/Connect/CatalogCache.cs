using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq.Expressions;
using System.Reflection;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Clients and scope resources kept across requests, so that a token request needs no database read for them.
/// A change made through this node's managers clears the cache at once (<see cref="Invalidate"/>); a change made
/// through another node's managers clears it when that node's signal arrives (<see cref="ClusterCacheSignals"/>, on
/// PostgreSQL), and one written behind every node's back (or with no signal) is seen after
/// <see cref="TokenOptions.CatalogCacheLifetime"/> at most. Entries are snapshots:
/// every read gets its own detached copy, so nothing one request does to an entity is seen by another.
/// </summary>
internal sealed class CatalogCache(TimeProvider time, Microsoft.Extensions.Options.IOptions<TokenOptions> options) : IClusterCache
{
    public const string SignalTopic = "catalog";

    // Only the scalar columns: the navigation collections stay empty on a copy, as on an entity read without Include.
    private static readonly PropertyInfo[] ApplicationColumns = [.. typeof(OpenIddictEntityFrameworkCoreApplication)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanRead && p.CanWrite && p.PropertyType == typeof(string))];

    // A copy is made on every token request: compiled once (new entity { Column = values[i], ... }) instead of one
    // reflection call per column.
    private static readonly Func<string?[], OpenIddictEntityFrameworkCoreApplication> NewApplication = CompileNewApplication();

    private readonly ConcurrentDictionary<string, Entry<string?[]>> applications = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry<ImmutableArray<string>>> resources = new(StringComparer.Ordinal);
    private long generation;

    private TimeSpan Lifetime => options.Value.CatalogCacheLifetime;

    /// <summary>Forgets everything; called by the application and scope managers after every write.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref generation);
        applications.Clear();
        resources.Clear();
    }

    string IClusterCache.Topic => SignalTopic;

    /// <summary>A signal from another node: any client or scope may have changed.</summary>
    void IClusterCache.Forget(IReadOnlyList<string>? keys) => Invalidate();

    public OpenIddictEntityFrameworkCoreApplication? GetApplication(string clientId)
    {
        if (!TryGet(applications, clientId, out var values))
        {
            return null;
        }

        return NewApplication(values);
    }

    /// <summary>Remembers an application read from the database at <paramref name="readGeneration"/>.</summary>
    public void SetApplication(string clientId, OpenIddictEntityFrameworkCoreApplication application, long readGeneration)
    {
        var values = new string?[ApplicationColumns.Length];
        for (var i = 0; i < ApplicationColumns.Length; i++)
        {
            values[i] = (string?)ApplicationColumns[i].GetValue(application);
        }

        Set(applications, clientId, values, readGeneration);
    }

    public bool TryGetResources(ImmutableArray<string> scopes, out ImmutableArray<string> value) =>
        TryGet(resources, Key(scopes), out value);

    public void SetResources(ImmutableArray<string> scopes, ImmutableArray<string> value, long readGeneration) =>
        Set(resources, Key(scopes), value, readGeneration);

    /// <summary>Taken before a database read: a write that lands during the read makes its result unfit to keep.</summary>
    public long Generation => Interlocked.Read(ref generation);

    private bool TryGet<T>(ConcurrentDictionary<string, Entry<T>> entries, string key, out T value)
    {
        if (Lifetime > TimeSpan.Zero && entries.TryGetValue(key, out var entry))
        {
            // An entry read from the database before the last invalidation is never served, even in the instant
            // between a late load storing it and Set noticing: a reader could otherwise get a client as it was before
            // a secret rotation or its disabling.
            if (entry.Generation == Generation && time.GetUtcNow() < entry.Expires)
            {
                value = entry.Value;
                return true;
            }

            entries.TryRemove(KeyValuePair.Create(key, entry));
        }

        value = default!;
        return false;
    }

    private void Set<T>(ConcurrentDictionary<string, Entry<T>> entries, string key, T value, long readGeneration)
    {
        if (Lifetime <= TimeSpan.Zero)
        {
            return;
        }

        // Invalidated while reading: the value may predate the write. (An invalidation after this check makes the
        // entry's generation old, which TryGet refuses.)
        if (Generation == readGeneration)
        {
            entries[key] = new Entry<T>(value, time.GetUtcNow() + Lifetime, readGeneration);
        }
    }

    private static Func<string?[], OpenIddictEntityFrameworkCoreApplication> CompileNewApplication()
    {
        var values = Expression.Parameter(typeof(string?[]), "values");
        var columns = ApplicationColumns.Select((column, index) =>
            (MemberBinding)Expression.Bind(column, Expression.ArrayIndex(values, Expression.Constant(index))));
        return Expression.Lambda<Func<string?[], OpenIddictEntityFrameworkCoreApplication>>(
            Expression.MemberInit(Expression.New(typeof(OpenIddictEntityFrameworkCoreApplication)), columns), values).Compile();
    }

    private static string Key(ImmutableArray<string> scopes) => string.Join(' ', scopes.Order(StringComparer.Ordinal));

    private sealed record Entry<T>(T Value, DateTimeOffset Expires, long Generation);
}
