using Microsoft.Extensions.Caching.Memory;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>What a node remembers of sessions: kept between checks, and never kept when a signal overtook the read.</summary>
internal sealed class SessionStateCacheTests
{
    [Test]
    public async Task A_read_overtaken_by_a_signal_is_not_kept_and_the_next_check_reads_again()
    {
        using var memory = new MemoryCache(new MemoryCacheOptions());
        var cache = new SessionStateCache(memory);
        var reads = 0;

        // The other node revokes the session and its signal arrives while this node is still reading it.
        var first = await cache.GetOrReadAsync("s1", () =>
        {
            reads++;
            cache.Forget(["s1"]);
            return Task.FromResult<SessionState?>(new SessionState("u1", Ended: false, LastSeenAt: 0));
        });
        var second = await cache.GetOrReadAsync("s1", () =>
        {
            reads++;
            return Task.FromResult<SessionState?>(new SessionState("u1", Ended: true, LastSeenAt: 0));
        });

        Assert.That(first!.Ended, Is.False, "the overtaken read still answers its own request");
        Assert.That(reads, Is.EqualTo(2), "but it was not kept");
        Assert.That(second!.Ended, Is.True);
    }

    [Test]
    public async Task A_state_is_kept_until_its_session_or_everything_is_forgotten()
    {
        using var memory = new MemoryCache(new MemoryCacheOptions());
        var cache = new SessionStateCache(memory);
        var reads = 0;
        Task<SessionState?> Read()
        {
            reads++;
            return Task.FromResult<SessionState?>(new SessionState("u1", Ended: false, LastSeenAt: reads));
        }

        await cache.GetOrReadAsync("s1", Read);
        await cache.GetOrReadAsync("s1", Read);
        Assert.That(reads, Is.EqualTo(1), "kept");

        cache.Forget(["other"]);
        await cache.GetOrReadAsync("s1", Read);
        Assert.That(reads, Is.EqualTo(1), "another session forgotten: still kept");

        cache.Forget(["s1"]);
        await cache.GetOrReadAsync("s1", Read);
        Assert.That(reads, Is.EqualTo(2), "this session forgotten");

        cache.Forget(null);
        Assert.That((await cache.GetOrReadAsync("s1", Read))!.LastSeenAt, Is.EqualTo(3), "everything forgotten");
    }

    [Test]
    public async Task A_read_overtaken_by_a_revocation_is_never_seen_by_another_request()
    {
        // The same race as above, with another request checking the session on the other core all the while: the
        // revoked session's old state must never reach it, not even in the instant between being stored and removed.
        using var memory = new MemoryCache(new MemoryCacheOptions());
        var cache = new SessionStateCache(memory);
        var live = new SessionState("u1", Ended: false, LastSeenAt: 0);
        var ended = new SessionState("u1", Ended: true, LastSeenAt: 0);
        var stop = 0;
        long servedLive = 0;
        var reader = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                if (cache.GetOrReadAsync("s1", () => Task.FromResult<SessionState?>(ended)).GetAwaiter().GetResult() == live)
                {
                    servedLive++;
                }
            }
        });
        reader.Start();
        for (var round = 0; round < 100_000; round++)
        {
            cache.Forget(["s1"]);
            await cache.GetOrReadAsync("s1", () =>
            {
                cache.Forget(["s1"]);
                return Task.FromResult<SessionState?>(live);
            });
        }

        Volatile.Write(ref stop, 1);
        reader.Join();

        Assert.That(servedLive, Is.Zero);
    }
}
