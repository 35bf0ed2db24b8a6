using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Account.Mfa;

/// <summary>Who is between the first and the second factor, and how they got there.</summary>
/// <param name="ReplacingSessionId">For a step-up, the session that the completed sign-in replaces.</param>
/// <param name="AuthenticatedAt">When the first factor was proven (now for a fresh sign-in; the session's for a step-up).</param>
internal sealed record PendingSignIn(
    PlintoUser User, IReadOnlyList<string> Methods, bool Remember, bool StepUp, DateTimeOffset AuthenticatedAt, string? ReplacingSessionId = null)
{
    /// <summary>Whether the first factor was a password (an e-mailed code must not be both factors).</summary>
    public bool FirstFactorIsPassword => Methods.Contains("pwd", StringComparer.Ordinal);
}

/// <summary>
/// The second step of a sign-in. After the first factor, the person is held in Identity's short-lived
/// two-factor cookie (5 minutes) — not signed in — until a second factor completes the session. A signed-in
/// person asked for more (step-up: a client's <c>acr_values</c>, or a policy that came later) goes through the same
/// step with their current session as the first factor. Completing signs in afresh: a new session cookie, a
/// new <c>auth_time</c>, <c>amr</c> with both factors and <c>mfa</c> (RFC 8176 §2).
/// </summary>
internal sealed class MfaSignIn(
    IHttpContextAccessor http,
    UserManager<PlintoUser> users,
    SecondFactors factors,
    UserSessions sessions,
    IOptions<MfaOptions> options)
{
    private const string MethodClaim = "plinto_first_factor";
    private const string RememberClaim = "plinto_remember";
    private const string StampClaim = "plinto_stamp";

    private HttpContext Context => http.HttpContext ?? throw new InvalidOperationException("No HTTP request.");

    /// <summary>Whether a sign-in of this user for this request needs a second factor.</summary>
    public bool IsRequired(PlintoUser user, bool requestedByClient) =>
        requestedByClient || options.Value.Required || user.TwoFactorEnabled;

    /// <summary>Holds the person after the first factor (no session yet).</summary>
    public async Task BeginAsync(PlintoUser user, IReadOnlyList<string> methods, bool remember)
    {
        var identity = new ClaimsIdentity(IdentityConstants.TwoFactorUserIdScheme);
        identity.AddClaim(new Claim(ClaimTypes.Name, user.Id));
        identity.AddClaims(methods.Select(m => new Claim(MethodClaim, m)));
        identity.AddClaim(new Claim(RememberClaim, remember ? "1" : "0"));
        identity.AddClaim(new Claim(StampClaim, await users.GetSecurityStampAsync(user)));
        await Context.SignInAsync(IdentityConstants.TwoFactorUserIdScheme, new ClaimsPrincipal(identity));
    }

    /// <summary>The person waiting for a second factor: from the two-factor cookie, or the signed-in session (step-up).</summary>
    public async Task<PendingSignIn?> FindAsync()
    {
        var pending = await Context.AuthenticateAsync(IdentityConstants.TwoFactorUserIdScheme);
        if (pending.Succeeded && pending.Principal.FindFirstValue(ClaimTypes.Name) is { } userId
            && await users.FindByIdAsync(userId) is { } user
            // A password change or reset since the first factor voids it.
            && pending.Principal.FindFirstValue(StampClaim) == await users.GetSecurityStampAsync(user))
        {
            return new PendingSignIn(user, pending.Principal.FindAll(MethodClaim).Select(c => c.Value).ToList(),
                pending.Principal.FindFirstValue(RememberClaim) == "1", StepUp: false,
                pending.Properties.IssuedUtc ?? DateTimeOffset.UtcNow);
        }

        var session = await Context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        if (session.Succeeded && await users.GetUserAsync(session.Principal) is { } signedIn)
        {
            var methods = session.Principal.FindAll(SessionClaims.Methods).Select(c => c.Value).ToList();
            return new PendingSignIn(signedIn, methods, session.Properties.IsPersistent, StepUp: true,
                SessionClaims.ReadAuthenticationTime(session.Principal) ?? DateTimeOffset.MinValue, UserSessions.CurrentId(session.Principal));
        }

        return null;
    }

    /// <summary>Checks a second factor (an authenticator code, or a recovery code) and, if right, completes the sign-in.</summary>
    public async Task<SecondFactorResult> CompleteAsync(PendingSignIn pending, string code)
    {
        var user = pending.User;
        if (await users.IsLockedOutAsync(user))
        {
            return SecondFactorResult.Rejected;
        }

        var normalized = Totp.Normalize(code);
        var result = normalized.Length == Totp.Digits && code.Trim().Length <= Totp.Digits + 2
            ? await factors.VerifyAuthenticatorAsync(user, code)
            : await factors.RedeemRecoveryCodeAsync(user, code);
        if (result != SecondFactorResult.Accepted)
        {
            // Wrong second factors count towards the same temporary lockout as wrong passwords.
            await users.AccessFailedAsync(user);
            return result;
        }

        await users.ResetAccessFailedCountAsync(user);
        await FinishAsync(pending, "otp");
        return SecondFactorResult.Accepted;
    }

    /// <summary>Signs in with both factors: a new session (new cookie, new auth_time).</summary>
    /// <param name="enrolment">
    /// The second factor was only just set up: it proves the new factor, not the person, so a step-up keeps the
    /// session's original auth_time (it must not refresh prompt=login, max_age or re-authentication windows).
    /// </param>
    public async Task FinishAsync(PendingSignIn pending, string secondMethod, bool enrolment = false)
    {
        var methods = pending.Methods.Where(m => m != "mfa").Append(secondMethod).Append("mfa").Distinct().ToArray();
        await Context.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        await sessions.SignInAsync(pending.User, methods, pending.Remember, pending.ReplacingSessionId,
            enrolment && pending.StepUp ? pending.AuthenticatedAt : null);
    }
}
