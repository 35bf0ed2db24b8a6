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

    // Forgetting everything moves to a new generation of keys: the old entries are never read again and expire.
    private long generation;

    public string Topic => SignalTopic;

    public void Forget(IReadOnlyList<string>? keys)
    {
        if (keys is null)
        {
            Interlocked.Increment(ref generation);
            return;
        }

        foreach (var id in keys)
        {
            cache.Remove(Key(id));
        }
    }

    /// <summary>The remembered state of session <paramref name="id"/>, or what <paramref name="read"/> finds now.</summary>
    public Task<SessionState?> GetOrReadAsync(string id, Func<Task<SessionState?>> read) =>
        cache.GetOrCreateAsync(Key(id), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = UserSessions.CacheFor;
            return read();
        });

    private string Key(string id) => $"plinto:session:{Interlocked.Read(ref generation)}:{id}";
}

/// <summary>A session as the cookie check needs it.</summary>
internal sealed record SessionState(string UserId, bool Ended, long LastSeenAt);
