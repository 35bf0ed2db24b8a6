using Microsoft.AspNetCore.Identity;
using Plinto.IdentityServer.Hosting;

namespace Plinto.IdentityServer.Account;

internal enum PasswordSignInOutcome
{
    SignedIn,
    Failed,
    EmailNotConfirmed,
    Throttled,
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
    AccountAttemptLimiter attempts,
    PlintoMetrics metrics,
    TimeProvider time)
{
    public async Task<PasswordSignInOutcome> SignInAsync(string email, string password, bool remember)
    {
        var outcome = await AttemptAsync(email, password, remember);
        metrics.PasswordSignIn(outcome.ToString());
        return outcome;
    }

    private async Task<PasswordSignInOutcome> AttemptAsync(string email, string password, bool remember)
    {
        // Before the lookup and the hash: the budget is per address, whether an account has it or not.
        if (!attempts.TryAttempt(email))
        {
            return PasswordSignInOutcome.Throttled;
        }

        var user = await users.FindByEmailAsync(email);
        if (user is null || await users.IsLockedOutAsync(user))
        {
            timing.SpendPasswordCheck(password);
            return PasswordSignInOutcome.Failed;
        }

        if (!await users.CheckPasswordAsync(user, password))
        {
            // Counts towards the temporary lockout (Identity: 5 failures, 5 minutes).
            await users.AccessFailedAsync(user);
            return PasswordSignInOutcome.Failed;
        }

        if (!await signInManager.CanSignInAsync(user))
        {
            return PasswordSignInOutcome.EmailNotConfirmed;
        }

        await users.ResetAccessFailedCountAsync(user);
        // A new cookie, and so a new session, at every sign-in.
        await signInManager.SignInWithClaimsAsync(user, remember, SessionClaims.For(time.GetUtcNow(), "pwd"));
        return PasswordSignInOutcome.SignedIn;
    }
}
