using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Data;

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
    ILogger<UserManager<PlintoUser>> logger,
    PlintoDbContext db)
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
            // The password was right; the stronger hash is written at a later sign-in. Most likely another request
            // changed the account since it was read (the same account signing in twice at once): the store leaves the
            // row marked modified with a stale concurrency stamp, and the next save of this request (the sign-in's
            // session) would fail on it, or write the new hash past a failed validation. Back to what is stored.
            await db.Entry(user).ReloadAsync(CancellationToken);
            Logger.LogWarning("The password hash of user {UserId} could not be upgraded: {Errors}",
                user.Id, string.Join("; ", updated.Errors.Select(e => e.Code)));
        }

        return PasswordVerificationResult.Success;
    }
}
