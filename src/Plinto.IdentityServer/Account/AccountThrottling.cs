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
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new SlidingWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0 });
            });
        });
        return services;
    }
}

/// <summary>Per-account password attempt budget, keyed by the normalized address (existing or not: no enumeration).</summary>
internal sealed class AccountAttemptLimiter(Microsoft.Extensions.Options.IOptions<RateLimitOptions> options) : IDisposable
{
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
        using var lease = limiter.AttemptAcquire(email.Trim().ToUpperInvariant());
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
