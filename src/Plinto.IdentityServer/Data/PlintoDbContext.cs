using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Federation.Saml;
using Plinto.IdentityServer.Organizations;
using Plinto.IdentityServer.Scim;

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

        // Listed, not found with ApplyConfigurationsFromAssembly: that scan reads the constructor signatures of every
        // type in the assembly and so loads every assembly they name (MimeKit, for one) while the model is built at
        // start. A configuration missing here fails Data/ModelSnapshotTests (the model no longer matches the migrations).
        builder.ApplyConfiguration(new PlintoUserConfiguration());
        builder.ApplyConfiguration(new UserSessionConfiguration());
        builder.ApplyConfiguration(new Account.Passkeys.UsedPasskeyCeremonyConfiguration());
        builder.ApplyConfiguration(new AuditEntryConfiguration());
        var saml = new SamlConfiguration();
        builder.ApplyConfiguration<SamlConnection>(saml);
        builder.ApplyConfiguration<SamlIdentity>(saml);
        builder.ApplyConfiguration<SamlReplay>(saml);
        var organizations = new OrganizationConfiguration();
        builder.ApplyConfiguration<Organization>(organizations);
        builder.ApplyConfiguration<OrganizationRole>(organizations);
        builder.ApplyConfiguration<OrganizationPermission>(organizations);
        builder.ApplyConfiguration<OrganizationMember>(organizations);
        builder.ApplyConfiguration<OrganizationMemberRole>(organizations);
        builder.ApplyConfiguration<OrganizationInvitation>(organizations);
        builder.ApplyConfiguration<OrganizationDomain>(organizations);
        builder.ApplyConfiguration<OrganizationGrant>(organizations);
        builder.ApplyConfiguration<RetiredOrganizationSlug>(organizations);
        var scim = new ScimConfiguration();
        builder.ApplyConfiguration<ScimToken>(scim);
        builder.ApplyConfiguration<ScimUser>(scim);
        builder.ApplyConfiguration<ScimUserEmail>(scim);
        builder.ApplyConfiguration<ScimGroup>(scim);
    }
}
