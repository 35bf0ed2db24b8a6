using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Account;

namespace Plinto.IdentityServer.Organizations;

/// <summary>
/// A tenant: its members, roles, invitations, domains and sign-in policies hang off it. Times are Unix
/// milliseconds (comparable in SQL on every provider). <see cref="Version"/> is an optimistic concurrency token
/// that every membership or role change bumps, so two concurrent changes cannot both pass the last-owner rule.
/// </summary>
internal sealed class Organization
{
    public string Id { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    /// <summary>Lower-case letters, digits and dashes; unique; used in <c>organization:{slug}</c> and in URLs.</summary>
    public string Slug { get; set; } = string.Empty;

    public string? LogoUrl { get; set; }

    /// <summary>Hosted pages' primary colour, <c>#rrggbb</c>.</summary>
    public string? PrimaryColor { get; set; }

    public long CreatedAt { get; set; }

    public string Version { get; set; } = string.Empty;

    /// <summary>Policy: a second factor is required to get tokens for this organization.</summary>
    public bool RequireMfa { get; set; }

    /// <summary>Policy: the first-factor methods accepted for this organization (<see cref="SignInMethods"/>).</summary>
    public SignInMethods AllowedMethods { get; set; } = SignInMethods.All;

    /// <summary>Policy: the longest time since the last authentication for this organization; null: no limit of its own.</summary>
    public int? SessionLifetimeMinutes { get; set; }

    /// <summary>Accounts whose confirmed address is on a verified domain join automatically, with <see cref="DefaultRole"/>.</summary>
    public bool AutoJoinVerifiedDomains { get; set; }

    public string DefaultRole { get; set; } = OrganizationRoles.Member;

    /// <summary>Policy: a SCIM DELETE deactivates the user (true) instead of removing them from the organization.</summary>
    public bool ScimDeleteDeactivates { get; set; }
}

/// <summary>First-factor methods an organization can allow (flags; stored as an integer).</summary>
[Flags]
internal enum SignInMethods
{
    None = 0,
    Password = 1,
    Passkey = 2,
    Saml = 4,

    /// <summary>A one-time code sent by e-mail, as the only factor.</summary>
    EmailCode = 8,
    All = Password | Passkey | Saml | EmailCode,
}

/// <summary>A named set of permissions inside one organization; the three built-in roles exist in every organization.</summary>
internal sealed class OrganizationRole
{
    public string OrganizationId { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string? Description { get; set; }

    /// <summary>Space-separated permission names.</summary>
    public string Permissions { get; set; } = string.Empty;

    public bool BuiltIn { get; set; }

    public IReadOnlyList<string> PermissionList => Permissions.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A permission an organization defines for its own applications (the built-in ones are not stored).</summary>
internal sealed class OrganizationPermission
{
    public string OrganizationId { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string? Description { get; set; }
}

internal sealed class OrganizationMember
{
    public string OrganizationId { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;

    public long JoinedAt { get; set; }

    public List<OrganizationMemberRole> Roles { get; set; } = [];
}

internal sealed class OrganizationMemberRole
{
    public string OrganizationId { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;

    public string RoleName { get; set; } = string.Empty;
}

/// <summary>
/// An invitation by e-mail. The link carries a 256-bit random token; only its SHA-256 is stored, so the table
/// cannot be turned into working links, and tokens cannot be guessed or enumerated.
/// </summary>
internal sealed class OrganizationInvitation
{
    public string Id { get; set; } = string.Empty;

    public string OrganizationId { get; set; } = string.Empty;

    /// <summary>Upper-cased invariant, as Identity normalizes e-mail addresses.</summary>
    public string NormalizedEmail { get; set; } = string.Empty;

    public string Email { get; set; } = string.Empty;

    public string RoleName { get; set; } = OrganizationRoles.Member;

    public string TokenHash { get; set; } = string.Empty;

    public string? InvitedBy { get; set; }

    public long CreatedAt { get; set; }

    public long ExpiresAt { get; set; }

    public long? AcceptedAt { get; set; }

    public string? AcceptedBy { get; set; }

    public long? RevokedAt { get; set; }
}

/// <summary>A domain an organization claims; verified by a DNS TXT record or by a platform administrator.</summary>
internal sealed class OrganizationDomain
{
    public string Id { get; set; } = string.Empty;

    public string OrganizationId { get; set; } = string.Empty;

    /// <summary>Lower-case, IDNA ASCII form.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The value expected in the TXT record <c>_plinto-verification.{domain}</c>.</summary>
    public string VerificationToken { get; set; } = string.Empty;

    public long CreatedAt { get; set; }

    public long? VerifiedAt { get; set; }

    /// <summary><c>dns</c> or <c>admin</c>.</summary>
    public string? VerifiedBy { get; set; }

    /// <summary>
    /// <see cref="Name"/> once verified, null before: its unique index makes "verified by one organization only"
    /// hold even for two verifications at the same moment.
    /// </summary>
    public string? VerifiedName { get; set; }
}

/// <summary>
/// A slug an organization used before (renamed or deleted). Nobody else can take it: relying parties that still
/// know an organization by its old slug must never be sent to a different tenant.
/// </summary>
internal sealed class RetiredOrganizationSlug
{
    public string Slug { get; set; } = string.Empty;

    public string OrganizationId { get; set; } = string.Empty;

    public long RetiredAt { get; set; }
}

/// <summary>
/// Links an OpenIddict authorization to the organization its tokens were issued for, so that removing a member
/// revokes exactly those tokens. Deleted with the authorization (token pruning).
/// </summary>
internal sealed class OrganizationGrant
{
    public string AuthorizationId { get; set; } = string.Empty;

    public string OrganizationId { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;
}

internal sealed class OrganizationConfiguration :
    IEntityTypeConfiguration<Organization>, IEntityTypeConfiguration<OrganizationRole>, IEntityTypeConfiguration<OrganizationPermission>,
    IEntityTypeConfiguration<OrganizationMember>, IEntityTypeConfiguration<OrganizationMemberRole>,
    IEntityTypeConfiguration<OrganizationInvitation>, IEntityTypeConfiguration<OrganizationDomain>, IEntityTypeConfiguration<OrganizationGrant>,
    IEntityTypeConfiguration<RetiredOrganizationSlug>
{
    public void Configure(EntityTypeBuilder<RetiredOrganizationSlug> builder)
    {
        builder.ToTable("PlintoRetiredOrganizationSlugs");
        builder.HasKey(r => r.Slug);
        builder.Property(r => r.Slug).HasMaxLength(OrganizationSlug.MaxLength);
        builder.Property(r => r.OrganizationId).HasMaxLength(64);
    }

    public void Configure(EntityTypeBuilder<Organization> builder)
    {
        builder.ToTable("PlintoOrganizations");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Id).HasMaxLength(64);
        builder.Property(o => o.Name).HasMaxLength(100).IsRequired();
        builder.Property(o => o.Slug).HasMaxLength(OrganizationSlug.MaxLength).IsRequired();
        builder.HasIndex(o => o.Slug).IsUnique();
        builder.Property(o => o.LogoUrl).HasMaxLength(2048);
        builder.Property(o => o.PrimaryColor).HasMaxLength(7);
        builder.Property(o => o.Version).HasMaxLength(64).IsConcurrencyToken();
        builder.Property(o => o.DefaultRole).HasMaxLength(64);
    }

    public void Configure(EntityTypeBuilder<OrganizationRole> builder)
    {
        builder.ToTable("PlintoOrganizationRoles");
        builder.HasKey(r => new { r.OrganizationId, r.Name });
        builder.Property(r => r.OrganizationId).HasMaxLength(64);
        builder.Property(r => r.Name).HasMaxLength(64);
        builder.Property(r => r.Description).HasMaxLength(256);
        builder.Property(r => r.Permissions).HasMaxLength(4000);
        builder.Ignore(r => r.PermissionList);
        builder.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<OrganizationPermission> builder)
    {
        builder.ToTable("PlintoOrganizationPermissions");
        builder.HasKey(p => new { p.OrganizationId, p.Name });
        builder.Property(p => p.OrganizationId).HasMaxLength(64);
        builder.Property(p => p.Name).HasMaxLength(64);
        builder.Property(p => p.Description).HasMaxLength(256);
        builder.HasOne<Organization>().WithMany().HasForeignKey(p => p.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<OrganizationMember> builder)
    {
        builder.ToTable("PlintoOrganizationMembers");
        builder.HasKey(m => new { m.OrganizationId, m.UserId });
        builder.Property(m => m.OrganizationId).HasMaxLength(64);
        builder.Property(m => m.UserId).HasMaxLength(450);
        builder.HasIndex(m => m.UserId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(m => m.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<PlintoUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(m => m.Roles).WithOne().HasForeignKey(r => new { r.OrganizationId, r.UserId }).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<OrganizationMemberRole> builder)
    {
        builder.ToTable("PlintoOrganizationMemberRoles");
        builder.HasKey(r => new { r.OrganizationId, r.UserId, r.RoleName });
        builder.Property(r => r.OrganizationId).HasMaxLength(64);
        builder.Property(r => r.UserId).HasMaxLength(450);
        builder.Property(r => r.RoleName).HasMaxLength(64);
        // A role in use cannot be deleted (checked at the end of the statement, so deleting a whole organization
        // still cascades); the service refuses it first with a clear error.
        builder.HasOne<OrganizationRole>().WithMany().HasForeignKey(r => new { r.OrganizationId, r.RoleName }).OnDelete(DeleteBehavior.NoAction);
    }

    public void Configure(EntityTypeBuilder<OrganizationInvitation> builder)
    {
        builder.ToTable("PlintoOrganizationInvitations");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).HasMaxLength(64);
        builder.Property(i => i.OrganizationId).HasMaxLength(64);
        builder.Property(i => i.NormalizedEmail).HasMaxLength(256);
        builder.Property(i => i.Email).HasMaxLength(256);
        builder.Property(i => i.RoleName).HasMaxLength(64);
        builder.Property(i => i.TokenHash).HasMaxLength(64);
        builder.Property(i => i.InvitedBy).HasMaxLength(450);
        builder.Property(i => i.AcceptedBy).HasMaxLength(450);
        builder.HasIndex(i => i.TokenHash).IsUnique();
        builder.HasIndex(i => i.OrganizationId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(i => i.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<OrganizationDomain> builder)
    {
        builder.ToTable("PlintoOrganizationDomains");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).HasMaxLength(64);
        builder.Property(d => d.OrganizationId).HasMaxLength(64);
        builder.Property(d => d.Name).HasMaxLength(253);
        builder.Property(d => d.VerificationToken).HasMaxLength(64);
        builder.Property(d => d.VerifiedBy).HasMaxLength(16);
        builder.HasIndex(d => new { d.OrganizationId, d.Name }).IsUnique();
        builder.HasIndex(d => d.Name);
        builder.Property(d => d.VerifiedName).HasMaxLength(253);
        builder.HasIndex(d => d.VerifiedName).IsUnique();
        builder.HasOne<Organization>().WithMany().HasForeignKey(d => d.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<OrganizationGrant> builder)
    {
        builder.ToTable("PlintoOrganizationGrants");
        builder.HasKey(g => g.AuthorizationId);
        builder.Property(g => g.AuthorizationId).HasMaxLength(450);
        builder.Property(g => g.OrganizationId).HasMaxLength(64);
        builder.Property(g => g.UserId).HasMaxLength(450);
        builder.HasIndex(g => new { g.OrganizationId, g.UserId });
        builder.HasOne<OpenIddictEntityFrameworkCoreAuthorization>().WithMany().HasForeignKey(g => g.AuthorizationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Organization>().WithMany().HasForeignKey(g => g.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}
