using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Hosting;

namespace Plinto.IdentityServer.Account.Passkeys;

/// <summary>
/// The state of a WebAuthn ceremony (challenge and options) between its two requests: a 5-minute, data-protected,
/// HttpOnly, SameSite=Strict cookie, deleted when used. Each ceremony has a random id that is recorded in the
/// database when the state is taken, so the state is accepted once on every node together: a captured cookie and
/// assertion cannot be replayed, not even at another node (synced passkeys report a zero signature counter, which
/// would not catch it; WebAuthn §13.4.3 asks for a challenge used once).
/// </summary>
internal sealed class PasskeyCeremonyState(
    IHttpContextAccessor http,
    IDataProtectionProvider dataProtection,
    IOptions<PlintoHostOptions> host,
    PlintoDbContext db,
    TimeProvider time)
{
    public const string CookieBaseName = "plinto.passkey";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly ITimeLimitedDataProtector protector =
        dataProtection.CreateProtector("Plinto.Account.Passkeys.State").ToTimeLimitedDataProtector();

    private HttpContext Context => http.HttpContext ?? throw new InvalidOperationException("No HTTP request.");

    private string CookieName => host.Value.RequireHttps ? "__Host-" + CookieBaseName : CookieBaseName;

    /// <summary>Sets the cookie holding <paramref name="state"/> for the ceremony <paramref name="purpose"/>.</summary>
    public void Save(string purpose, string? state)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var protectedState = protector.Protect(purpose + "\n" + id + "\n" + (state ?? string.Empty), Lifetime);
        Context.Response.Cookies.Append(CookieName, protectedState, new CookieOptions
        {
            HttpOnly = true,
            Secure = host.Value.RequireHttps,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            MaxAge = Lifetime,
            IsEssential = true,
        });
    }

    /// <summary>
    /// The state of the ceremony <paramref name="purpose"/> from the request's cookie, which is deleted; null when there
    /// is none, it is not for this purpose, it expired, or it was taken before (here or at any other node).
    /// Called before the ceremony's own writes: it saves the context it shares with them.
    /// </summary>
    public async Task<string?> TakeAsync(string purpose, CancellationToken cancellationToken = default)
    {
        var value = Context.Request.Cookies[CookieName];
        Context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/", Secure = host.Value.RequireHttps });
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        string[] parts;
        try
        {
            parts = protector.Unprotect(value).Split('\n', 3);
        }
        catch (CryptographicException)
        {
            return null;
        }

        if (parts.Length != 3 || parts[0] != purpose)
        {
            return null;
        }

        // The primary key makes every node agree on "first": the second insert of an id fails. Kept a minute past the
        // cookie's protection, which refuses the state by then anyway; the SAML upkeep job deletes it afterwards.
        var used = db.Set<UsedPasskeyCeremony>().Add(new UsedPasskeyCeremony
        {
            Id = parts[1],
            ExpiresAt = (time.GetUtcNow() + Lifetime + TimeSpan.FromMinutes(1)).ToUnixTimeMilliseconds(),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            used.State = EntityState.Detached;
            return null;
        }

        return parts[2];
    }
}

/// <summary>A passkey ceremony whose state was taken (<see cref="PasskeyCeremonyState"/>), kept until the state expires.</summary>
internal sealed class UsedPasskeyCeremony
{
    public string Id { get; set; } = string.Empty;

    public long ExpiresAt { get; set; }
}

internal sealed class UsedPasskeyCeremonyConfiguration : IEntityTypeConfiguration<UsedPasskeyCeremony>
{
    public void Configure(EntityTypeBuilder<UsedPasskeyCeremony> builder)
    {
        builder.ToTable("PlintoUsedPasskeyCeremonies");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasMaxLength(32);
        builder.HasIndex(c => c.ExpiresAt);
    }
}
