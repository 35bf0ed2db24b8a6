using Microsoft.AspNetCore.Identity;

namespace Plinto.IdentityServer.Account.Passwords;

/// <summary>
/// Runs password checks (PBKDF2 with 220,000 iterations: about 0.1 s of CPU each) on dedicated threads, at most one
/// per core. Run on the thread pool, a burst of sign-ins (or a credential-stuffing attack) blocks every pool thread
/// and everything else on the node waits for new ones: discovery, token requests, health probes. Here the pool stays
/// free, excess checks wait in line without holding a thread, and the hashing still uses every core.
/// The line has no length limit, on purpose: a limit answered with HTTP 503 turned a flood whose clients retry at
/// once into a storm of cheap requests that starved every other request of the node (docs/performance.md, twentieth
/// pass), while a waiting check holds no thread (only its request's memory) and is dropped when its client leaves.
/// Measured in docs/performance.md (discovery latency while sign-ins saturate the CPU).
/// </summary>
internal sealed class PasswordHashing : IDisposable
{
    private readonly SemaphoreSlim slots = new(Environment.ProcessorCount, Environment.ProcessorCount);

    /// <summary>
    /// Starts <paramref name="check"/> on a dedicated thread; it runs there up to its first real await (the hash
    /// itself is synchronous), and the rest continues on the pool as usual.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> check, CancellationToken cancellationToken = default)
    {
        await slots.WaitAsync(cancellationToken);
        try
        {
            return await Task.Factory.StartNew(check, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// <see cref="UserManager{TUser}.CheckPasswordAsync"/> on a hashing thread. <paramref name="cancellationToken"/> is
    /// the request's: a check still waiting for a slot when its client gives up is dropped instead of hashed (a flood's
    /// abandoned requests would otherwise keep the line long after it stopped); a check already running finishes.
    /// </summary>
    public Task<bool> CheckAsync(UserManager<PlintoUser> users, PlintoUser user, string password, CancellationToken cancellationToken = default) =>
        RunAsync(() => users.CheckPasswordAsync(user, password), cancellationToken);

    /// <summary>The time of a password check spent on a hashing thread (no account to check against); cancelled as above.</summary>
    public Task SpendAsync(PasswordTimingEqualizer timing, string password, CancellationToken cancellationToken = default) =>
        RunAsync(() => Task.FromResult(timing.SpendPasswordCheck(password)), cancellationToken);

    public void Dispose() => slots.Dispose();
}
