using Microsoft.AspNetCore.Identity;

namespace Plinto.IdentityServer.Account;

/// <summary>
/// Two kinds of lockout share Identity's <c>LockoutEnd</c>. A <b>temporary</b> one (5 failed password or code
/// attempts, 5 minutes) exists to stop guessing, so it stops only what can be guessed: passwords and codes. Anyone who
/// knows an address can cause it, so it must not stop a passkey or a single sign-on sign-in, nor tokens already issued —
/// otherwise typing wrong passwords for someone's address would keep them out for as long as one likes. A
/// <b>deactivation</b> (an organization's provisioning, SCIM <c>active=false</c>) is deliberate and stops everything: it
/// is a lockout until the end of time.
/// </summary>
internal static class AccountLockout
{
    /// <summary>Deactivated: locked out until the end of time (not merely after failed attempts).</summary>
    public static async Task<bool> IsDeactivatedAsync(this UserManager<PlintoUser> users, PlintoUser user)
    {
        ArgumentNullException.ThrowIfNull(users);
        return await users.GetLockoutEnabledAsync(user) && await users.GetLockoutEndDateAsync(user) == DateTimeOffset.MaxValue;
    }

    /// <summary>Locks <paramref name="user"/> out until the end of time (see <see cref="IsDeactivatedAsync"/>).</summary>
    public static async Task DeactivateAsync(this UserManager<PlintoUser> users, PlintoUser user)
    {
        ArgumentNullException.ThrowIfNull(users);
        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue);
    }
}
