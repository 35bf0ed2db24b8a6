using System.Security.Claims;
using Microsoft.AspNetCore.Identity;

namespace Plinto.IdentityServer.Account;

/// <summary>
/// Facts about how the session began, stored as claims in the session cookie at sign-in. The cookie's own
/// issue time is not usable: sliding expiration and security-stamp revalidation renew it.
/// </summary>
internal static class SessionClaims
{
    /// <summary>
    /// Milliseconds since the epoch of the interactive authentication. Tokens carry it in seconds as auth_time
    /// (OIDC Core §2); the session keeps milliseconds so "signed in after the re-authentication request" holds
    /// even within one second.
    /// </summary>
    public const string AuthenticationTime = "plinto_auth_time";

    /// <summary>RFC 8176 authentication method references.</summary>
    public const string Methods = "amr";

    /// <summary>
    /// For a session started at an organization's SAML IdP ("ext"): that organization. Its policy "SAML only" is met
    /// by its own IdP, never by another organization's.
    /// </summary>
    public const string ExternalOrganization = "plinto_ext_org";

    public static Claim[] For(DateTimeOffset authenticatedAt, params string[] methods) =>
    [
        new(AuthenticationTime, authenticatedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer64),
        .. methods.Select(m => new Claim(Methods, m)),
    ];

    /// <summary>
    /// How recent a sign-in must be to add or remove factors (passkeys, an authenticator app, recovery codes), so a
    /// session left open on a shared computer cannot plant or pull one.
    /// </summary>
    public static readonly TimeSpan RecentWindow = TimeSpan.FromMinutes(10);

    public static bool IsRecent(ClaimsPrincipal principal, DateTimeOffset now) =>
        ReadAuthenticationTime(principal) is { } at && now - at <= RecentWindow;

    public static DateTimeOffset? ReadAuthenticationTime(ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirst(AuthenticationTime)?.Value, out var milliseconds) ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;

    /// <summary>Keeps the claims when Identity rebuilds the principal after checking the security stamp.</summary>
    public static Task CarryOver(SecurityStampRefreshingPrincipalContext context)
    {
        if (context.NewPrincipal?.Identity is ClaimsIdentity identity)
        {
            foreach (var claim in context.CurrentPrincipal?.Claims.Where(c => c.Type is AuthenticationTime or Methods or ExternalOrganization or Sessions.UserSessions.SessionIdClaim) ?? [])
            {
                identity.AddClaim(new Claim(claim.Type, claim.Value, claim.ValueType));
            }
        }

        return Task.CompletedTask;
    }
}
