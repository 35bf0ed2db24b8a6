using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Plinto.IdentityServer.Account.Passwords;

/// <summary>
/// Identity's user manager with one change: a password hash made with weaker parameters than the configured ones
/// (fewer PBKDF2 iterations: an older Plinto, or hashes imported from another ASP.NET Core Identity store) is replaced
/// at the next successful check <em>without</em> changing the security stamp. Identity's own rehash changes it, and
/// the stamp is what ends every session and grant of the account (a changed password must): raising the iteration
/// count would otherwise sign every user out everywhere at their next sign-in, although their password is the same.
/// </summary>
internal sealed class PlintoUserManager(
    IUserStore<PlintoUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<PlintoUser> passwordHasher,
    IEnumerable<IUserValidator<PlintoUser>> userValidators,
    IEnumerable<IPasswordValidator<PlintoUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<PlintoUser>> logger)
    : UserManager<PlintoUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    protected override async Task<PasswordVerificationResult> VerifyPasswordAsync(IUserPasswordStore<PlintoUser> store, PlintoUser user, string password)
    {
        var result = await base.VerifyPasswordAsync(store, user, password);
        if (result is not PasswordVerificationResult.SuccessRehashNeeded)
        {
            return result;
        }

        await store.SetPasswordHashAsync(user, PasswordHasher.HashPassword(user, password), CancellationToken);
        var updated = await UpdateUserAsync(user);
        if (!updated.Succeeded)
        {
            // The password was right; the stronger hash is written at a later sign-in.
            Logger.LogWarning("The password hash of a user could not be upgraded: {Errors}", string.Join("; ", updated.Errors.Select(e => e.Code)));
        }

        return PasswordVerificationResult.Success;
    }
}
