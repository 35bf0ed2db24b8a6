using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Plinto.IdentityServer.Account;

/// <summary>An account. Identity owns credentials, lockout and factors; these are the profile claims.</summary>
internal sealed class PlintoUser : IdentityUser
{
    public string? GivenName { get; set; }

    public string? FamilyName { get; set; }

    /// <summary>Full name as the person wants it shown (OIDC <c>name</c>).</summary>
    public string? Name { get; set; }

    /// <summary>URL of a profile picture (OIDC <c>picture</c>), https only.</summary>
    public string? Picture { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class PlintoUserConfiguration : IEntityTypeConfiguration<PlintoUser>
{
    public void Configure(EntityTypeBuilder<PlintoUser> builder)
    {
        builder.Property(u => u.GivenName).HasMaxLength(128);
        builder.Property(u => u.FamilyName).HasMaxLength(128);
        builder.Property(u => u.Name).HasMaxLength(256);
        builder.Property(u => u.Picture).HasMaxLength(2048);
    }
}
