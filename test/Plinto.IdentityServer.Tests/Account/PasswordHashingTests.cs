using Plinto.IdentityServer.Account.Passwords;

namespace Plinto.IdentityServer.Tests.Account;

/// <summary>
/// Password checks run off the thread pool, at most one per core, so a burst of sign-ins cannot starve the
/// node's other requests (docs/performance.md, lever 6).
/// </summary>
internal sealed class PasswordHashingTests
{
    [Test]
    public async Task Checks_run_on_dedicated_threads_at_most_one_per_core()
    {
        using var hashing = new PasswordHashing();
        var running = 0;
        var most = 0;
        var onPool = 0;

        Task<int> Check(int i) => hashing.RunAsync(() =>
        {
            if (Thread.CurrentThread.IsThreadPoolThread)
            {
                Interlocked.Increment(ref onPool);
            }

            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Thread.Sleep(60); // a synchronous hash holds its thread, as PBKDF2 does
            Interlocked.Decrement(ref running);
            return Task.FromResult(i);
        });

        var results = await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount * 3).Select(Check));

        Assert.That(results, Is.EquivalentTo(Enumerable.Range(0, Environment.ProcessorCount * 3)));
        Assert.That(onPool, Is.Zero, "no check ran on a thread-pool thread");
        Assert.That(most, Is.EqualTo(Environment.ProcessorCount), "every core used, never more");
    }

    [Test]
    public async Task A_failing_check_fails_its_caller_and_frees_its_slot()
    {
        using var hashing = new PasswordHashing();
        for (var i = 0; i < Environment.ProcessorCount + 1; i++)
        {
            Assert.ThrowsAsync<InvalidOperationException>(() => hashing.RunAsync<bool>(() => throw new InvalidOperationException("boom")));
        }

        Assert.That(await hashing.RunAsync(() => Task.FromResult(true)), Is.True, "slots were released after failures");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
