using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Account.Sessions;

/// <summary>
/// Server-side records of browser sessions. Every interactive sign-in (and step-up) creates one with a new id,
/// carried by the session cookie as <c>plinto_sid</c>; each request's cookie is checked against it, so a session
/// revoked in the account center ends at once on this node and, on PostgreSQL, on the others as soon as they hear of
/// it (<see cref="ClusterCacheSignals"/>; within <see cref="CacheFor"/> at the latest).
/// </summary>
internal sealed class UserSessions(
    PlintoDbContext db,
    SignInManager<PlintoUser> signInManager,
    IHttpContextAccessor http,
    SessionStateCache cache,
    ClusterCacheSignals signals,
    TimeProvider time)
{
    public const string SessionIdClaim = "plinto_sid";

    /// <summary>How long a node trusts its cached view of a session when no signal from the others tells it otherwise.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    /// <summary>The cookie's sliding lifetime: a session not seen for this long is over.</summary>
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromHours(8);

    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(5);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Starts a new session: a new record and a new cookie. <paramref name="replacing"/> (a step-up) ends the old one.</summary>
    /// <param name="authenticatedAt">When the person last proved who they are; default now (a real sign-in).</param>
    /// <param name="externalOrganizationId">The organization whose SAML IdP authenticated the person ("ext"), if any.</param>
    public async Task SignInAsync(PlintoUser user, IReadOnlyList<string> methods, bool remember, string? replacing = null, DateTimeOffset? authenticatedAt = null,
        string? externalOrganizationId = null)
    {
        var context = http.HttpContext ?? throw new InvalidOperationException("No HTTP request.");
        var session = new UserSession
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            UserId = user.Id,
            CreatedAt = Now,
            LastSeenAt = Now,
            Methods = string.Join(' ', methods),
            IpAddress = context.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Truncate(context.Request.Headers.UserAgent.ToString(), 512),
        };
        db.UserSessions.Add(session);
        if (replacing is not null)
        {
            await EndAsync(user.Id, replacing, signedOut: true);
        }

        await db.SaveChangesAsync();
        var claims = SessionClaims.For(authenticatedAt ?? time.GetUtcNow(), [.. methods]).Append(new Claim(SessionIdClaim, session.Id));
        if (externalOrganizationId is not null)
        {
            claims = claims.Append(new Claim(SessionClaims.ExternalOrganization, externalOrganizationId));
        }

        await signInManager.SignInWithClaimsAsync(user, remember, claims);
    }

    /// <summary>
    /// After a credential changed (password, a factor added or removed): a new security stamp, so other cookies
    /// and every refresh token stop working; the other session records revoked at once; every token revoked.
    /// With <paramref name="keepThisBrowser"/>, this browser's session — if it is this user's — stays, with its
    /// cookie issued again under the new stamp.
    /// </summary>
    public async Task EndOtherSessionsAsync(PlintoUser user, bool keepThisBrowser = true)
    {
        var context = http.HttpContext ?? throw new InvalidOperationException("No HTTP request.");
        var current = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var mine = keepThisBrowser && current.Succeeded && current.Principal.FindFirstValue(ClaimTypes.NameIdentifier) == user.Id
            ? current
            : null;

        await signInManager.UserManager.UpdateSecurityStampAsync(user);
        await RevokeAllAsync(user.Id, keep: mine is null ? null : CurrentId(mine.Principal!));
        // Resolved here, not injected: this service is also built for every cookie check, which needs no token manager.
        await context.RequestServices.GetRequiredService<IOpenIddictTokenManager>().RevokeBySubjectAsync(user.Id, context.RequestAborted);
        if (mine is not null)
        {
            await RenewCookieAsync(user, mine.Principal!, mine.Properties?.IsPersistent ?? false);
        }
    }

    /// <summary>Issues the cookie again for the same session (after the security stamp changed).</summary>
    private async Task RenewCookieAsync(PlintoUser user, ClaimsPrincipal current, bool remember)
    {
        var carried = current.Claims
            .Where(c => c.Type is SessionClaims.AuthenticationTime or SessionClaims.Methods or SessionClaims.ExternalOrganization or SessionIdClaim)
            .Select(c => new Claim(c.Type, c.Value, c.ValueType))
            .ToList();
        await signInManager.SignInWithClaimsAsync(user, remember, carried);
    }

    public static string? CurrentId(ClaimsPrincipal principal) => principal.FindFirstValue(SessionIdClaim);

    /// <summary>Signs the current browser out and records the session as signed out (applications keep offline access).</summary>
    public async Task SignOutAsync()
    {
        var context = http.HttpContext ?? throw new InvalidOperationException("No HTTP request.");
        var session = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (session.Succeeded && CurrentId(session.Principal) is { } id
            && session.Principal.FindFirstValue(ClaimTypes.NameIdentifier) is { } userId)
        {
            await EndAsync(userId, id, signedOut: true);
        }

        await signInManager.SignOutAsync();
    }

    /// <summary>Live sessions, most recently used first.</summary>
    public async Task<IReadOnlyList<UserSession>> ListAsync(string userId)
    {
        var idleSince = Now - (long)IdleLifetime.TotalMilliseconds;
        return await db.UserSessions.AsNoTracking()
            .Where(s => s.UserId == userId && s.RevokedAt == null && s.SignedOutAt == null && s.LastSeenAt > idleSince)
            .OrderByDescending(s => s.LastSeenAt)
            .ToListAsync();
    }

    /// <summary>Ends one session of this user (a sign-out, or a revocation that also ends its refresh tokens).</summary>
    public async Task<bool> EndAsync(string userId, string sessionId, bool signedOut)
    {
        var now = Now;
        var ended = signedOut
            ? await db.UserSessions.Where(s => s.Id == sessionId && s.UserId == userId && s.SignedOutAt == null && s.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.SignedOutAt, now))
            : await db.UserSessions.Where(s => s.Id == sessionId && s.UserId == userId && s.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now));
        await signals.ForgetEverywhereAsync(db, cache, [sessionId]);
        return ended > 0;
    }

    /// <summary>Revokes every session of the user except <paramref name="keep"/> (null: all).</summary>
    public async Task<int> RevokeAllAsync(string userId, string? keep)
    {
        var now = Now;
        // Revoke first, then read what was revoked (marked with this instant): read first, a session signed in between
        // the two statements was revoked without being forgotten, and a node that had checked it kept accepting it.
        var revoked = await db.UserSessions.Where(s => s.UserId == userId && s.RevokedAt == null && s.Id != keep)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now));
        if (revoked == 0)
        {
            return 0;
        }

        // Sessions of this account revoked at the same millisecond by another request are forgotten too: harmless.
        var ids = await db.UserSessions.Where(s => s.UserId == userId && s.RevokedAt == now).Select(s => s.Id).ToListAsync();
        await signals.ForgetEverywhereAsync(db, cache, ids);
        return revoked;
    }

    /// <summary>
    /// For the token endpoint: the account a code or refresh token names (untracked) and whether the session it came
    /// from was revoked (which revokes what applications obtained through it), in one round trip.
    /// </summary>
    public Task<GrantAccount?> FindGrantAccountAsync(string userId, string? sessionId, CancellationToken cancellationToken) =>
        GrantAccountQuery.For(db)(db, userId, sessionId, cancellationToken);

    // Compiled: every refresh grant and code redemption runs it; no expression tree built and looked up per call.
    private static readonly PerModelQuery<Func<PlintoDbContext, string, string?, CancellationToken, Task<GrantAccount?>>> GrantAccountQuery =
        new(() => EF.CompileAsyncQuery((PlintoDbContext db, string userId, string? sessionId, CancellationToken _) => db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new GrantAccount(u, sessionId != null && db.UserSessions.Any(s => s.Id == sessionId && s.RevokedAt != null)))
            .SingleOrDefault()));

    /// <summary>Cookie validation: the session must exist, belong to the cookie's user, and be neither revoked nor signed out.</summary>
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var sessions = context.HttpContext.RequestServices.GetRequiredService<UserSessions>();
        if (context.Principal is null || !await sessions.IsLiveAsync(context.Principal))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return;
        }

        // Then Identity's own check: a changed security stamp ends the session too.
        await SecurityStampValidator.ValidatePrincipalAsync(context);
    }

    private async Task<bool> IsLiveAsync(ClaimsPrincipal principal)
    {
        if (CurrentId(principal) is not { } id || principal.FindFirstValue(ClaimTypes.NameIdentifier) is not { } userId)
        {
            return false;
        }

        var state = await cache.GetOrReadAsync(id, () => db.UserSessions.AsNoTracking().Where(s => s.Id == id)
            .Select(s => new SessionState(s.UserId, s.RevokedAt != null || s.SignedOutAt != null, s.LastSeenAt))
            .FirstOrDefaultAsync());
        if (state is null || state.Ended || state.UserId != userId)
        {
            return false;
        }

        if (Now - state.LastSeenAt > TouchEvery.TotalMilliseconds)
        {
            var context = http.HttpContext;
            var (now, ip, agent) = (Now, context?.Connection.RemoteIpAddress?.ToString(), Truncate(context?.Request.Headers.UserAgent.ToString(), 512));
            await db.UserSessions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LastSeenAt, now).SetProperty(s => s.IpAddress, ip).SetProperty(s => s.UserAgent, agent));
            // Only the last-seen time changed: the other nodes' view of the session is still right.
            cache.Forget([id]);
        }

        return true;
    }

    private static string? Truncate(string? value, int length) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= length ? value : value[..length];
}

/// <summary>A readable name for a session's device, from its User-Agent (no client hints, no fingerprinting).</summary>
internal static class DeviceNames
{
    public static string Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown device";
        }

        var browser = userAgent switch
        {
            var ua when ua.Contains("Edg/", StringComparison.Ordinal) => "Edge",
            var ua when ua.Contains("OPR/", StringComparison.Ordinal) => "Opera",
            var ua when ua.Contains("Firefox/", StringComparison.Ordinal) => "Firefox",
            var ua when ua.Contains("Chrome/", StringComparison.Ordinal) || ua.Contains("Chromium/", StringComparison.Ordinal) => "Chrome",
            var ua when ua.Contains("Safari/", StringComparison.Ordinal) => "Safari",
            _ => "Browser",
        };
        var system = userAgent switch
        {
            var ua when ua.Contains("Android", StringComparison.Ordinal) => "Android",
            var ua when ua.Contains("iPhone", StringComparison.Ordinal) || ua.Contains("iPad", StringComparison.Ordinal) => "iOS",
            var ua when ua.Contains("Windows", StringComparison.Ordinal) => "Windows",
            var ua when ua.Contains("Mac OS X", StringComparison.Ordinal) => "macOS",
            var ua when ua.Contains("CrOS", StringComparison.Ordinal) => "ChromeOS",
            var ua when ua.Contains("Linux", StringComparison.Ordinal) => "Linux",
            _ => null,
        };
        return system is null ? browser : $"{browser} on {system}";
    }

    public static string Ago(long unixMilliseconds, DateTimeOffset now)
    {
        var elapsed = now - DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);
        return elapsed.TotalMinutes < 5 ? "active now"
            : elapsed.TotalHours < 1 ? $"{(int)elapsed.TotalMinutes} minutes ago"
            : elapsed.TotalDays < 1 ? $"{(int)elapsed.TotalHours} hours ago"
            : DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).ToString("d MMM yyyy", CultureInfo.InvariantCulture);
    }
}

/// <summary>An account as the token endpoint checks it, and whether the browser session a grant came from was revoked.</summary>
internal sealed record GrantAccount(PlintoUser User, bool SessionRevoked);
