using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Plinto.IdentityServer.Account;

/// <summary>Bound to <c>Plinto:RateLimits</c>.</summary>
internal sealed class RateLimitOptions
{
    public const string Section = "Plinto:RateLimits";

    /// <summary>Form posts to the account pages (sign-in, sign-up, reset...) per client IP address and minute.</summary>
    [Range(1, 100_000)]
    public int AccountPostsPerMinutePerIp { get; set; } = 30;

    /// <summary>Password attempts per account and minute, whatever the IP (spreads a distributed guess out).</summary>
    [Range(1, 100_000)]
    public int SignInAttemptsPerMinutePerAccount { get; set; } = 10;
}

/// <summary>
/// Throttling applied before any account lookup or password hash (OWASP ASVS 5.0 V6.3): per IP on every POST to
/// /account/*, and per account on password attempts. Counters live in each node's memory; the lockout counter in
/// the database is the cross-node backstop.
/// </summary>
internal static class AccountThrottling
{
    public const string Policy = "account-forms";

    public static IServiceCollection AddAccountThrottling(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AccountAttemptLimiter>();
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                return ValueTask.CompletedTask;
            };
            options.AddPolicy(Policy, context =>
            {
                if (!HttpMethods.IsPost(context.Request.Method))
                {
                    return RateLimitPartition.GetNoLimiter("read");
                }

                var limit = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value.AccountPostsPerMinutePerIp;
                return RateLimitPartition.GetSlidingWindowLimiter(
                    ClientNetwork(context.Connection.RemoteIpAddress),
                    _ => new SlidingWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0 });
            });
        });
        return services;
    }

    /// <summary>
    /// Whose budget a request spends: an IPv4 address (also when it arrives IPv4-mapped on a dual-stack socket), or
    /// an IPv6 address's /64 — the smallest network one host is given (RFC 6177 §3; RFC 4291 §2.5.1: the lower 64 bits
    /// are the interface identifier, which a host picks freely), so one host cannot spread a flood over 2^64 budgets.
    /// </summary>
    internal static string ClientNetwork(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }
}

/// <summary>
/// Per-account password attempt budget, keyed by the address normalized as Identity normalizes it to find the account
/// (Unicode NFC, then upper case: "\u212Aelvin@…", with the Kelvin sign, is kelvin@…'s budget as it is kelvin@…'s
/// account), whether the account exists or not (no enumeration).
/// </summary>
internal sealed class AccountAttemptLimiter(Microsoft.Extensions.Options.IOptions<RateLimitOptions> options) : IDisposable
{
    // Identity's own normalizer, the one Plinto's UserManager uses (registered scoped, so not injected into this
    // singleton); stateless.
    private static readonly Microsoft.AspNetCore.Identity.UpperInvariantLookupNormalizer Normalizer = new();

    private readonly PartitionedRateLimiter<string> limiter = PartitionedRateLimiter.Create<string, string>(account =>
        RateLimitPartition.GetSlidingWindowLimiter(account, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = options.Value.SignInAttemptsPerMinutePerAccount,
            Window = TimeSpan.FromMinutes(1),
            SegmentsPerWindow = 6,
            QueueLimit = 0,
        }), StringComparer.Ordinal);

    public bool TryAttempt(string email)
    {
        using var lease = limiter.AttemptAcquire(Normalizer.NormalizeEmail(email.Trim()) ?? string.Empty);
        return lease.IsAcquired;
    }

    public void Dispose() => limiter.Dispose();
}

internal static class ThrottledPages
{
    /// <summary>
    /// The page again with HTTP 429, <c>Retry-After</c> (the limiters' window is a minute) and the message in the
    /// error summary: what every per-address or per-account limit answers.
    /// </summary>
    public static Microsoft.AspNetCore.Mvc.RazorPages.PageResult TooManyAttempts(this Microsoft.AspNetCore.Mvc.RazorPages.PageModel page, string message)
    {
        ArgumentNullException.ThrowIfNull(page);
        page.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        page.Response.Headers.RetryAfter = "60";
        page.ModelState.AddModelError(string.Empty, message);
        return page.Page();
    }
}
