using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Plinto.IdentityServer.Account.Sessions;

/// <summary>
/// One browser session: created at each interactive sign-in (and step-up), named by the <c>plinto_sid</c> claim
/// of the session cookie, listed in the account center and revocable there. Times are Unix milliseconds so that
/// every provider (SQLite included) can sort and compare them in SQL.
/// </summary>
internal sealed class UserSession
{
    public string Id { get; set; } = string.Empty;

    public string UserId { get; set; } = string.Empty;

    public long CreatedAt { get; set; }

    public long LastSeenAt { get; set; }

    /// <summary>
    /// When it was revoked from the account center (this one, all others, or everywhere). Ends the browser session
    /// and the refresh tokens issued through it.
    /// </summary>
    public long? RevokedAt { get; set; }

    /// <summary>When the person signed out of it. Ends the browser session; applications keep their offline access.</summary>
    public long? SignedOutAt { get; set; }

    /// <summary>RFC 8176 methods, space-separated.</summary>
    public string Methods { get; set; } = string.Empty;

    public string? IpAddress { get; set; }

    public string? UserAgent { get; set; }
}

internal sealed class UserSessionConfiguration : IEntityTypeConfiguration<UserSession>
{
    public void Configure(EntityTypeBuilder<UserSession> builder)
    {
        builder.ToTable("PlintoUserSessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).HasMaxLength(64);
        builder.Property(s => s.UserId).HasMaxLength(450).IsRequired();
        builder.Property(s => s.Methods).HasMaxLength(128);
        builder.Property(s => s.IpAddress).HasMaxLength(64);
        builder.Property(s => s.UserAgent).HasMaxLength(512);
        builder.HasIndex(s => s.UserId);
        builder.HasOne<PlintoUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
