using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Plinto.IdentityServer.Account.Passwords;

/// <summary>
/// Runs password checks (PBKDF2 with 220,000 iterations: about 0.1 s of CPU each) on dedicated threads, at most one
/// per core. Run on the thread pool, a burst of sign-ins (or a credential-stuffing attack) blocks every pool thread
/// and everything else on the node waits for new ones: discovery, token requests, health probes. Here the pool stays
/// free, excess checks wait in line without holding a thread, and the hashing still uses every core.
/// The line is bounded (<see cref="RateLimitOptions.PasswordChecksWaitingPerCore"/>): a flood from many addresses,
/// which no per-address limit stops, is answered at once with <see cref="PasswordChecksBusyException"/> instead of
/// growing a line whose checks would end after their clients gave up.
/// Measured in docs/performance.md (discovery latency while sign-ins saturate the CPU).
/// </summary>
internal sealed partial class PasswordHashing(IOptions<RateLimitOptions> options, TimeProvider time, ILogger<PasswordHashing> logger) : IDisposable
{
    private readonly SemaphoreSlim slots = new(Environment.ProcessorCount, Environment.ProcessorCount);
    private readonly int waitingLimit = options.Value.PasswordChecksWaitingPerCore * Environment.ProcessorCount;
    private int waiting;
    private long refusedSinceLog;
    private long lastLog = DateTimeOffset.MinValue.UtcTicks;

    /// <summary>
    /// Starts <paramref name="check"/> on a dedicated thread; it runs there up to its first real await (the hash
    /// itself is synchronous), and the rest continues on the pool as usual.
    /// </summary>
    /// <exception cref="PasswordChecksBusyException">The line of checks waiting for a thread is full.</exception>
    public async Task<T> RunAsync<T>(Func<Task<T>> check, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Increment(ref waiting) > waitingLimit)
        {
            Interlocked.Decrement(ref waiting);
            Refused();
            throw new PasswordChecksBusyException();
        }

        try
        {
            await slots.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }

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

    /// <summary>One warning a minute at most, with the count since the last one: a flood must not flood the logs too.</summary>
    private void Refused()
    {
        Interlocked.Increment(ref refusedSinceLog);
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref lastLog);
        if (now - last >= TimeSpan.TicksPerMinute && Interlocked.CompareExchange(ref lastLog, now, last) == last)
        {
            LogRefused(logger, Interlocked.Exchange(ref refusedSinceLog, 0), waitingLimit);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Count} password check(s): {Limit} were already waiting for a hashing thread (Plinto:RateLimits:PasswordChecksWaitingPerCore). The node is answering sign-ins with HTTP 503.")]
    private static partial void LogRefused(ILogger logger, long count, int limit);
}

/// <summary>
/// A password check refused because the line of checks waiting for a hashing thread is full: answered with HTTP 503
/// and <c>Retry-After</c>, whether the account exists or not (the refusal comes before anything about it is told).
/// </summary>
internal sealed class PasswordChecksBusyException : Exception
{
    public PasswordChecksBusyException()
        : base("Too many password checks are waiting for a hashing thread; this one was refused.")
    {
    }

    public PasswordChecksBusyException(string message)
        : base(message)
    {
    }

    public PasswordChecksBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Seconds a refused client is asked to wait (<c>Retry-After</c>): the line clears in a few.</summary>
    public const int RetryAfterSeconds = 5;
}
