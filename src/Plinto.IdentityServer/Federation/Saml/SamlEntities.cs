using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Federation.Saml;

/// <summary>An upstream SAML 2.0 identity provider of an organization; Plinto is the service provider.</summary>
internal sealed class SamlConnection
{
    public string Id { get; set; } = string.Empty;

    public string OrganizationId { get; set; } = string.Empty;

    public string Name { get; set; } = string.Empty;

    public bool Enabled { get; set; } = true;

    public string IdpEntityId { get; set; } = string.Empty;

    /// <summary>The IdP's SSO URL for the HTTP-Redirect binding.</summary>
    public string IdpSsoUrl { get; set; } = string.Empty;

    /// <summary>The IdP's signing certificates, base64 DER, one per line (several during a rollover).</summary>
    public string IdpCertificates { get; set; } = string.Empty;

    /// <summary>Where the IdP publishes its metadata (refreshed by a job), or null when it was uploaded.</summary>
    public string? MetadataUrl { get; set; }

    /// <summary>Earliest expiry among the certificates (for the expiry warning).</summary>
    public long? CertificatesExpireAt { get; set; }

    public string? NameIdFormat { get; set; }

    public bool RequireSignedResponse { get; set; }

    public bool RequireSignedAssertion { get; set; } = true;

    public int ClockSkewSeconds { get; set; } = 120;

    /// <summary>IdP-initiated sign-in (off by default), sending people to this client's redirect URI only.</summary>
    public bool AllowIdpInitiated { get; set; }

    public string? IdpInitiatedClientId { get; set; }

    public string EmailAttribute { get; set; } = "email";

    public string? GivenNameAttribute { get; set; }

    public string? FamilyNameAttribute { get; set; }

    public string? GroupsAttribute { get; set; }

    /// <summary>JSON object: IdP group → organization role.</summary>
    public string GroupRoles { get; set; } = "{}";

    public long CreatedAt { get; set; }

    public long ModifiedAt { get; set; }
}

/// <summary>An account known to a connection by its NameID (SAML core §2.2.2): the key of just-in-time accounts.</summary>
internal sealed class SamlIdentity
{
    public string ConnectionId { get; set; } = string.Empty;

    public string NameId { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;

    public long CreatedAt { get; set; }

    public long LastSignInAt { get; set; }
}

/// <summary>Assertion IDs already used, kept until the assertion expires (replay cache shared by every node).</summary>
internal sealed class SamlReplay
{
    public string ConnectionId { get; set; } = string.Empty;

    public string AssertionId { get; set; } = string.Empty;

    public long ExpiresAt { get; set; }
}

internal sealed class SamlConfiguration :
    IEntityTypeConfiguration<SamlConnection>, IEntityTypeConfiguration<SamlIdentity>, IEntityTypeConfiguration<SamlReplay>
{
    public void Configure(EntityTypeBuilder<SamlConnection> builder)
    {
        builder.ToTable("PlintoSamlConnections");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasMaxLength(64);
        builder.Property(c => c.OrganizationId).HasMaxLength(64);
        builder.Property(c => c.Name).HasMaxLength(100);
        builder.Property(c => c.IdpEntityId).HasMaxLength(1024);
        builder.Property(c => c.IdpSsoUrl).HasMaxLength(2048);
        builder.Property(c => c.MetadataUrl).HasMaxLength(2048);
        builder.Property(c => c.NameIdFormat).HasMaxLength(256);
        builder.Property(c => c.IdpInitiatedClientId).HasMaxLength(100);
        builder.Property(c => c.EmailAttribute).HasMaxLength(256);
        builder.Property(c => c.GivenNameAttribute).HasMaxLength(256);
        builder.Property(c => c.FamilyNameAttribute).HasMaxLength(256);
        builder.Property(c => c.GroupsAttribute).HasMaxLength(256);
        builder.HasIndex(c => c.OrganizationId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(c => c.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<SamlIdentity> builder)
    {
        builder.ToTable("PlintoSamlIdentities");
        builder.HasKey(i => new { i.ConnectionId, i.NameId });
        builder.Property(i => i.ConnectionId).HasMaxLength(64);
        builder.Property(i => i.NameId).HasMaxLength(512);
        builder.Property(i => i.UserId).HasMaxLength(450);
        builder.HasIndex(i => i.UserId);
        builder.HasOne<SamlConnection>().WithMany().HasForeignKey(i => i.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<PlintoUser>().WithMany().HasForeignKey(i => i.UserId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<SamlReplay> builder)
    {
        builder.ToTable("PlintoSamlReplays");
        builder.HasKey(r => new { r.ConnectionId, r.AssertionId });
        builder.Property(r => r.ConnectionId).HasMaxLength(64);
        builder.Property(r => r.AssertionId).HasMaxLength(256);
        builder.HasIndex(r => r.ExpiresAt);
    }
}
