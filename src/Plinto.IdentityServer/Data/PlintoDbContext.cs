using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;

namespace Plinto.IdentityServer.Data;

/// <summary>
/// The one store: ASP.NET Core Identity (schema Version3, with passkeys), OpenIddict's entities
/// (added by <c>UseOpenIddict()</c> on the options) and the data protection key ring.
/// Each feature folder owns the configuration of its own entities.
/// </summary>
internal sealed class PlintoDbContext(DbContextOptions<PlintoDbContext> options)
    : IdentityDbContext<PlintoUser, IdentityRole, string, IdentityUserClaim<string>, IdentityUserRole<string>,
        IdentityUserLogin<string>, IdentityRoleClaim<string>, IdentityUserToken<string>, IdentityUserPasskey<string>>(options),
        IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<UserSession> UserSessions => Set<UserSession>();

    /// <summary>
    /// Identity reads the schema version from IdentityOptions in the application services; the host and the
    /// design-time factories both set this one, so migrations and the runtime model agree. Version3 adds passkeys.
    /// </summary>
    public static readonly Version IdentitySchemaVersion = IdentitySchemaVersions.Version3;

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PlintoDbContext).Assembly);
    }
}
