using Microsoft.AspNetCore.Identity;
using Plinto.IdentityServer.Account.Mfa;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Hosting;

namespace Plinto.IdentityServer.Account;

internal enum PasswordSignInOutcome
{
    SignedIn,
    Failed,
    EmailNotConfirmed,
    Throttled,
    /// <summary>The password was right; the second factor comes next (<c>/account/mfa</c>).</summary>
    SecondFactorRequired,
    /// <summary>The password was right; a second factor is required but the account has none yet.</summary>
    EnrollmentRequired,
}

/// <summary>
/// Password sign-in in an order that reveals nothing: the password is checked (and the hash time spent) before
/// anything about the account is told, so "confirm your e-mail" needs the right password, and an unknown
/// address, a wrong password and a locked account all cost the same time and get the same answer.
/// </summary>
internal sealed class PasswordSignIn(
    UserManager<PlintoUser> users,
    SignInManager<PlintoUser> signInManager,
    PasswordTimingEqualizer timing,
    Passwords.PasswordHashing hashing,
    AccountAttemptLimiter attempts,
    PlintoMetrics metrics,
    MfaSignIn mfa,
    SecondFactors factors,
    UserSessions sessions)
{
    /// <param name="multiFactorRequested">The client asked for multi-factor authentication (<c>acr_values</c>).</param>
    /// <param name="cancellationToken">The request's: a check still waiting for its turn is dropped when the client leaves.</param>
    public async Task<PasswordSignInOutcome> SignInAsync(
        string email, string password, bool remember, bool multiFactorRequested = false, CancellationToken cancellationToken = default)
    {
        var outcome = await AttemptAsync(email, password, remember, multiFactorRequested, cancellationToken);
        metrics.PasswordSignIn(outcome.ToString());
        return outcome;
    }

    private async Task<PasswordSignInOutcome> AttemptAsync(string email, string password, bool remember, bool multiFactorRequested, CancellationToken cancellationToken)
    {
        // Before the lookup and the hash: the budget is per address, whether an account has it or not.
        if (!attempts.TryAttempt(email))
        {
            return PasswordSignInOutcome.Throttled;
        }

        var user = await users.FindByEmailAsync(email);
        if (user is null || await users.IsLockedOutAsync(user))
        {
            await hashing.SpendAsync(timing, password, cancellationToken);
            return PasswordSignInOutcome.Failed;
        }

        if (!await hashing.CheckAsync(users, user, password, cancellationToken))
        {
            // Counts towards the temporary lockout (Identity: 5 failures, 5 minutes).
            await users.AccessFailedAsync(user);
            return PasswordSignInOutcome.Failed;
        }

        if (!await signInManager.CanSignInAsync(user))
        {
            return PasswordSignInOutcome.EmailNotConfirmed;
        }

        if (mfa.IsRequired(user, multiFactorRequested))
        {
            // Not signed in yet: the password is the first factor of two. The failure count is reset only when
            // the second factor succeeds, so guessing codes after a right password still locks the account.
            await mfa.BeginAsync(user, ["pwd"], remember);
            return await factors.IsEnrolledAsync(user) ? PasswordSignInOutcome.SecondFactorRequired : PasswordSignInOutcome.EnrollmentRequired;
        }

        await users.ResetAccessFailedCountAsync(user);
        // A new cookie, and so a new session, at every sign-in.
        await sessions.SignInAsync(user, ["pwd"], remember);
        return PasswordSignInOutcome.SignedIn;
    }
}
