using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Organizations;

namespace Plinto.IdentityServer.Scim;

internal sealed record ScimTokenView(string Id, string Name, string Hint, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, bool Revoked)
{
    public static ScimTokenView From(ScimToken t) => new(
        t.Id, t.Name, t.Hint, DateTimeOffset.FromUnixTimeMilliseconds(t.CreatedAt),
        t.LastUsedAt is { } used ? DateTimeOffset.FromUnixTimeMilliseconds(used) : null, t.RevokedAt is not null);
}

/// <summary>A new SCIM token: <paramref name="Token"/> is shown this once (only its hash is kept).</summary>
internal sealed record CreatedScimToken(ScimTokenView Details, string Token);

/// <summary>
/// SCIM tokens of an organization (<c>org:scim:manage</c>): created, listed and revoked through the admin API and
/// pages, and checked on every SCIM request.
/// </summary>
internal sealed class ScimTokens(PlintoDbContext db, OrganizationAdministration organizations, TimeProvider time)
{
    public const string Prefix = "scim_";
    public const int MaxActivePerOrganization = 20;

    /// <summary>A used token's last-use time is written at most this often (not one write per request).</summary>
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<OrganizationResult<IReadOnlyList<ScimTokenView>>> ListAsync(OrganizationActor actor, string organizationId, CancellationToken cancellationToken)
    {
        var access = await organizations.AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageScim, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var rows = await db.Set<ScimToken>().AsNoTracking().Where(t => t.OrganizationId == organizationId)
            .OrderByDescending(t => t.CreatedAt).ToListAsync(cancellationToken);
        return rows.Select(ScimTokenView.From).ToList();
    }

    public async Task<OrganizationResult<CreatedScimToken>> CreateAsync(
        OrganizationActor actor, string organizationId, string? name, CancellationToken cancellationToken)
    {
        var access = await organizations.AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageScim, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100)
        {
            return new OrganizationFailure(OrganizationError.Invalid, "name is required (1 to 100 characters), e.g. \"Okta\".");
        }

        if (await db.Set<ScimToken>().CountAsync(t => t.OrganizationId == organizationId && t.RevokedAt == null, cancellationToken) >= MaxActivePerOrganization)
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"At most {MaxActivePerOrganization} active SCIM tokens; revoke one first.");
        }

        // 256 random bits; the prefix makes a leaked token recognisable to secret scanners.
        var secret = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = new ScimToken
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
            OrganizationId = organizationId,
            Name = name.Trim(),
            TokenHash = Hash(secret),
            Hint = secret[..(Prefix.Length + 4)],
            CreatedBy = actor.Id,
            CreatedAt = Now,
        };
        db.Add(token);
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "scim.token.created", token.Id, new { token.Name }));
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedScimToken(ScimTokenView.From(token), secret);
    }

    public async Task<OrganizationResult<bool>> RevokeAsync(OrganizationActor actor, string organizationId, string tokenId, CancellationToken cancellationToken)
    {
        var access = await organizations.AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageScim, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var token = await db.Set<ScimToken>().SingleOrDefaultAsync(t => t.Id == tokenId && t.OrganizationId == organizationId && t.RevokedAt == null, cancellationToken);
        if (token is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No active SCIM token with this id in this organization.");
        }

        token.RevokedAt = Now;
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "scim.token.revoked", token.Id, new { token.Name }));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>The organization a presented token belongs to; null for an unknown or revoked one.</summary>
    public async Task<(string OrganizationId, string TokenId)?> AuthenticateAsync(string? presented, CancellationToken cancellationToken)
    {
        if (presented is null || !presented.StartsWith(Prefix, StringComparison.Ordinal) || presented.Length > 100)
        {
            return null;
        }

        var hash = Hash(presented);
        var token = await db.Set<ScimToken>().AsNoTracking()
            .Where(t => t.TokenHash == hash && t.RevokedAt == null)
            .Select(t => new { t.Id, t.OrganizationId, t.LastUsedAt })
            .SingleOrDefaultAsync(cancellationToken);
        if (token is null)
        {
            return null;
        }

        var now = Now;
        if (token.LastUsedAt is null || now - token.LastUsedAt > (long)TouchEvery.TotalMilliseconds)
        {
            await db.Set<ScimToken>().Where(t => t.Id == token.Id).ExecuteUpdateAsync(u => u.SetProperty(t => t.LastUsedAt, now), cancellationToken);
        }

        return (token.OrganizationId, token.Id);
    }

    /// <summary>SHA-256 suffices: the secret has 256 bits of entropy (a slow KDF protects guessable passwords, not this).</summary>
    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
