using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
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
    // Compiled: every request with a session reads its account (the authorization endpoint on each code flow).
    private static readonly PerModelQuery<Func<PlintoDbContext, string, CancellationToken, Task<PlintoUser?>>> AccountById =
        new(() => EF.CompileAsyncQuery((PlintoDbContext db, string id, CancellationToken _) =>
            db.Users.AsTracking().FirstOrDefault(user => user.Id == id)));

    /// <summary>
    /// What Identity's store does (<c>DbSet.Find</c>: an account this request already tracks is that one, otherwise
    /// it is read and tracked), through a compiled query instead of a query expression built and looked up in EF Core's
    /// query cache on every call (docs/performance.md, lever 29).
    /// </summary>
    public override async Task<PlintoUser?> FindByIdAsync(string userId)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(userId);
        return db.Users.Local.FindEntry(userId)?.Entity ?? await AccountById.For(db)(db, userId, CancellationToken);
    }

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
