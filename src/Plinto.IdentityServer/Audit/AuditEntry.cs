using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Plinto.IdentityServer.Audit;

/// <summary>
/// One administrative change, written in the same transaction as the change itself (so there is never a change
/// without its entry, or an entry for a change that rolled back). Never holds secrets, tokens or codes.
/// </summary>
internal sealed class AuditEntry
{
    public string Id { get; set; } = string.Empty;

    public long OccurredAt { get; set; }

    /// <summary>The organization concerned, if any.</summary>
    public string? OrganizationId { get; set; }

    /// <summary>User id, or <c>client:{client_id}</c> for a machine client.</summary>
    public string? Actor { get; set; }

    /// <summary>Dotted name such as <c>organization.member.removed</c>.</summary>
    public string Action { get; set; } = string.Empty;

    public string? Target { get; set; }

    /// <summary>Small JSON object with the changed values.</summary>
    public string? Data { get; set; }

    public static AuditEntry Create(TimeProvider time, string? organizationId, string? actor, string action, string? target, object? data = null) => new()
    {
        Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
        OccurredAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        OrganizationId = organizationId,
        Actor = actor,
        Action = action,
        Target = target,
        Data = data is null ? null : JsonSerializer.Serialize(data),
    };
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("PlintoAuditEntries");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasMaxLength(64);
        builder.Property(e => e.OrganizationId).HasMaxLength(64);
        builder.Property(e => e.Actor).HasMaxLength(512);
        builder.Property(e => e.Action).HasMaxLength(128).IsRequired();
        builder.Property(e => e.Target).HasMaxLength(512);
        builder.Property(e => e.Data).HasMaxLength(4000);
        builder.HasIndex(e => new { e.OrganizationId, e.OccurredAt });
    }
}
