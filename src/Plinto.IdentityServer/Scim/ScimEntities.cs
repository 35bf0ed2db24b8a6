using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Scim;

/// <summary>
/// A bearer token with which one organization's identity provider (Okta, Microsoft Entra…) provisions users and
/// groups. Only a SHA-256 of the 256-bit secret is stored; the secret is shown once.
/// </summary>
internal sealed class ScimToken
{
    public string Id { get; set; } = string.Empty;

    public string OrganizationId { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public string TokenHash { get; set; } = string.Empty;

    /// <summary>The first characters of the secret, to recognise it in lists (not enough to use it).</summary>
    public string Hint { get; set; } = string.Empty;

    public string? CreatedBy { get; set; }

    public long CreatedAt { get; set; }

    public long? LastUsedAt { get; set; }

    public long? RevokedAt { get; set; }
}

/// <summary>
/// A SCIM User of one organization: an account (shared by every organization it belongs to) plus what this
/// organization's provisioning says about it. The SCIM id is the account id.
/// </summary>
internal sealed class ScimUser
{
    public string OrganizationId { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;

    public string UserName { get; set; } = string.Empty;

    /// <summary>Upper-case invariant: userName is case-insensitive (RFC 7643 §4.1.1).</summary>
    public string NormalizedUserName { get; set; } = string.Empty;

    /// <summary>The client's identifier, case-exact.</summary>
    public string? ExternalId { get; set; }

    public bool Active { get; set; } = true;

    public string? DisplayName { get; set; }

    public string? GivenName { get; set; }

    public string? FamilyName { get; set; }

    /// <summary>The other attributes as the client sent them (name, phone numbers, addresses, enterprise extension…), JSON.</summary>
    public string Attributes { get; set; } = "{}";

    /// <summary>True when this organization's provisioning created the account (it may then manage its password and profile).</summary>
    public bool CreatedAccount { get; set; }

    public long CreatedAt { get; set; }

    public long ModifiedAt { get; set; }

    /// <summary>ETag (RFC 7644 §3.14); changes with every write.</summary>
    public string Version { get; set; } = string.Empty;

    public List<ScimUserEmail> Emails { get; set; } = [];
}

/// <summary>One e-mail address of a SCIM user, kept as rows so that filters such as <c>emails[type eq "work"]</c> run in SQL.</summary>
internal sealed class ScimUserEmail
{
    public long Id { get; set; }

    public string OrganizationId { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;

    public string Value { get; set; } = string.Empty;

    public string NormalizedValue { get; set; } = string.Empty;

    public string? Type { get; set; }

    public bool Primary { get; set; }
}

/// <summary>
/// A SCIM Group: an organization role (<see cref="RoleName"/>) whose holders are the group's members. Permissions
/// are given to it on the organization's roles page; membership comes from the identity provider.
/// </summary>
internal sealed class ScimGroup
{
    public string Id { get; set; } = string.Empty;

    public string OrganizationId { get; set; } = string.Empty;

    public string DisplayName { get; set; } = string.Empty;

    public string NormalizedDisplayName { get; set; } = string.Empty;

    public string? ExternalId { get; set; }

    public string RoleName { get; set; } = string.Empty;

    public long CreatedAt { get; set; }

    public long ModifiedAt { get; set; }

    public string Version { get; set; } = string.Empty;
}

internal sealed class ScimConfiguration :
    IEntityTypeConfiguration<ScimToken>, IEntityTypeConfiguration<ScimUser>, IEntityTypeConfiguration<ScimUserEmail>, IEntityTypeConfiguration<ScimGroup>
{
    public void Configure(EntityTypeBuilder<ScimToken> builder)
    {
        builder.ToTable("PlintoScimTokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).HasMaxLength(64);
        builder.Property(t => t.OrganizationId).HasMaxLength(64);
        builder.Property(t => t.Name).HasMaxLength(100);
        builder.Property(t => t.TokenHash).HasMaxLength(64);
        builder.Property(t => t.Hint).HasMaxLength(16);
        builder.Property(t => t.CreatedBy).HasMaxLength(512);
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.HasIndex(t => t.OrganizationId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(t => t.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ScimUser> builder)
    {
        builder.ToTable("PlintoScimUsers");
        builder.HasKey(u => new { u.OrganizationId, u.UserId });
        builder.Property(u => u.OrganizationId).HasMaxLength(64);
        builder.Property(u => u.UserId).HasMaxLength(450);
        builder.Property(u => u.UserName).HasMaxLength(256);
        builder.Property(u => u.NormalizedUserName).HasMaxLength(256);
        builder.Property(u => u.ExternalId).HasMaxLength(256);
        builder.Property(u => u.DisplayName).HasMaxLength(256);
        builder.Property(u => u.GivenName).HasMaxLength(256);
        builder.Property(u => u.FamilyName).HasMaxLength(256);
        builder.Property(u => u.Version).HasMaxLength(32).IsConcurrencyToken();
        builder.HasIndex(u => new { u.OrganizationId, u.NormalizedUserName }).IsUnique();
        builder.HasIndex(u => new { u.OrganizationId, u.ExternalId });
        builder.HasOne<Organization>().WithMany().HasForeignKey(u => u.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<PlintoUser>().WithMany().HasForeignKey(u => u.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(u => u.Emails).WithOne().HasForeignKey(e => new { e.OrganizationId, e.UserId }).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ScimUserEmail> builder)
    {
        builder.ToTable("PlintoScimUserEmails");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.OrganizationId).HasMaxLength(64);
        builder.Property(e => e.UserId).HasMaxLength(450);
        builder.Property(e => e.Value).HasMaxLength(256);
        builder.Property(e => e.NormalizedValue).HasMaxLength(256);
        builder.Property(e => e.Type).HasMaxLength(32);
        builder.HasIndex(e => new { e.OrganizationId, e.NormalizedValue });
    }

    public void Configure(EntityTypeBuilder<ScimGroup> builder)
    {
        builder.ToTable("PlintoScimGroups");
        builder.HasKey(g => g.Id);
        builder.Property(g => g.Id).HasMaxLength(64);
        builder.Property(g => g.OrganizationId).HasMaxLength(64);
        builder.Property(g => g.DisplayName).HasMaxLength(256);
        builder.Property(g => g.NormalizedDisplayName).HasMaxLength(256);
        builder.Property(g => g.ExternalId).HasMaxLength(256);
        builder.Property(g => g.RoleName).HasMaxLength(64);
        builder.Property(g => g.Version).HasMaxLength(32).IsConcurrencyToken();
        builder.HasIndex(g => new { g.OrganizationId, g.NormalizedDisplayName }).IsUnique();
        builder.HasIndex(g => new { g.OrganizationId, g.RoleName }).IsUnique();
        builder.HasOne<Organization>().WithMany().HasForeignKey(g => g.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<OrganizationRole>().WithMany().HasForeignKey(g => new { g.OrganizationId, g.RoleName }).OnDelete(DeleteBehavior.NoAction);
    }
}
