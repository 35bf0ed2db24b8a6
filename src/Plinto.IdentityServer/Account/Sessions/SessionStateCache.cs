using Microsoft.Extensions.Caching.Memory;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Account.Sessions;

/// <summary>
/// What a node remembers of each browser session it checked, for <see cref="UserSessions.CacheFor"/> at most, so that
/// a request's cookie check needs no database read. A session ended on this node is forgotten at once; one ended on
/// another node when its signal arrives (<see cref="ClusterCacheSignals"/>, on PostgreSQL), at the latest after
/// <see cref="UserSessions.CacheFor"/>.
/// </summary>
internal sealed class SessionStateCache(IMemoryCache cache) : IClusterCache
{
    public const string SignalTopic = "session";

    // Forgetting everything moves to a new epoch of keys: the old entries are never read again and expire.
    private long epoch;

    // Counts every forgetting: a read that one overtook is answered but not kept, since it may predate the change
    // (a signal that arrives while this node is still reading the session it names).
    private long forgets;

    // Forgetting and keeping a read happen one at a time, so a read overtaken by a forgetting is never in the cache,
    // not even for an instant (stored first and removed afterwards, another request could read it in between).
    private readonly Lock gate = new();

    public string Topic => SignalTopic;

    public void Forget(IReadOnlyList<string>? keys)
    {
        lock (gate)
        {
            Interlocked.Increment(ref forgets);
            if (keys is null)
            {
                Interlocked.Increment(ref epoch);
                return;
            }

            foreach (var id in keys)
            {
                cache.Remove(Key(id));
            }
        }
    }

    /// <summary>The remembered state of session <paramref name="id"/>, or what <paramref name="read"/> finds now.</summary>
    public async Task<SessionState?> GetOrReadAsync(string id, Func<Task<SessionState?>> read)
    {
        var key = Key(id);
        if (cache.TryGetValue(key, out SessionState? known))
        {
            return known;
        }

        var before = Interlocked.Read(ref forgets);
        var state = await read();
        lock (gate)
        {
            if (Interlocked.Read(ref forgets) == before)
            {
                cache.Set(key, state, UserSessions.CacheFor);
            }
        }

        return state;
    }

    private string Key(string id) => $"plinto:session:{Interlocked.Read(ref epoch)}:{id}";
}

/// <summary>A session as the cookie check needs it.</summary>
internal sealed record SessionState(string UserId, bool Ended, long LastSeenAt);
