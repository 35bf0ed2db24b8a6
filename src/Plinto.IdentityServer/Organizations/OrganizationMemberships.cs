using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Organizations;

/// <summary>The organization a token is issued for: who the person is there, and the policies that apply.</summary>
internal sealed record OrganizationContext(Organization Organization, IReadOnlyList<string> Roles, IReadOnlyList<string> Permissions)
{
    public string Id => Organization.Id;

    public string Slug => Organization.Slug;
}

/// <summary>
/// Memberships as sign-in and token issuance see them (the person's own view, no administration): which
/// organizations someone belongs to, joining through an invitation or a verified domain, and the link between an
/// organization and the authorizations issued for it.
/// </summary>
internal sealed partial class OrganizationMemberships(PlintoDbContext db, TimeProvider time, ILogger<OrganizationMemberships> logger)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The organizations of a user, by name.</summary>
    public async Task<IReadOnlyList<Organization>> ListAsync(string userId, CancellationToken cancellationToken) =>
        await db.Set<Organization>().AsNoTracking()
            .Where(o => db.Set<OrganizationMember>().Any(m => m.OrganizationId == o.Id && m.UserId == userId)
                && !db.Set<Scim.ScimUser>().Any(s => s.OrganizationId == o.Id && s.UserId == userId && !s.Active))
            .OrderBy(o => o.Name).ThenBy(o => o.Slug)
            .ToListAsync(cancellationToken);

    /// <summary>
    /// The user's context in the organization named by id or slug; null when they are not a member, were deactivated
    /// there by SCIM, or it does not exist.
    /// </summary>
    public async Task<OrganizationContext?> FindAsync(string userId, string? id, string? slug, CancellationToken cancellationToken)
    {
        var organization = await db.Set<Organization>().AsNoTracking()
            .SingleOrDefaultAsync(o => id != null ? o.Id == id : o.Slug == slug, cancellationToken);
        if (organization is null)
        {
            return null;
        }

        // No roles for someone deactivated by the organization's provisioning (SCIM active=false): no tokens for it.
        var roles = await db.Set<OrganizationMemberRole>().AsNoTracking()
            .Where(r => r.OrganizationId == organization.Id && r.UserId == userId
                && !db.Set<Scim.ScimUser>().Any(s => s.OrganizationId == r.OrganizationId && s.UserId == r.UserId && !s.Active))
            .Join(db.Set<OrganizationRole>(), m => new { m.OrganizationId, Name = m.RoleName }, r => new { r.OrganizationId, r.Name },
                (m, r) => new { r.Name, r.Permissions })
            .ToListAsync(cancellationToken);
        if (roles.Count == 0)
        {
            return null;
        }

        return new OrganizationContext(
            organization,
            [.. roles.Select(r => r.Name).Order(StringComparer.Ordinal)],
            [.. roles.SelectMany(r => r.Permissions.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Records that the tokens of this authorization were issued for this organization (revoked with the membership).</summary>
    public async Task LinkGrantAsync(string authorizationId, string organizationId, string userId, CancellationToken cancellationToken)
    {
        db.Add(new OrganizationGrant { AuthorizationId = authorizationId, OrganizationId = organizationId, UserId = userId });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>A pending invitation for this link token, with its organization; null for unknown, used, revoked or expired.</summary>
    public async Task<(OrganizationInvitation Invitation, Organization Organization)?> FindInvitationAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128)
        {
            return null;
        }

        var hash = OrganizationAdministration.HashToken(token);
        var now = Now;
        var found = await db.Set<OrganizationInvitation>().AsNoTracking()
            .Where(i => i.TokenHash == hash && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now)
            .Join(db.Set<Organization>(), i => i.OrganizationId, o => o.Id, (i, o) => new { i, o })
            .SingleOrDefaultAsync(cancellationToken);
        return found is null ? null : (found.i, found.o);
    }

    /// <summary>
    /// Accepts an invitation for <paramref name="user"/>, whose confirmed address must be the invited one. Single
    /// use even under concurrency: the invitation is claimed by a conditional update before the membership is
    /// written, in the same transaction. An existing member gets the invited role added.
    /// </summary>
    public async Task<string?> AcceptInvitationAsync(string token, PlintoUser user, CancellationToken cancellationToken)
    {
        if (await FindInvitationAsync(token, cancellationToken) is not var (invitation, organization))
        {
            return "This invitation link is not valid any more. Ask for a new invitation.";
        }

        if (!string.Equals(user.NormalizedEmail, invitation.NormalizedEmail, StringComparison.Ordinal))
        {
            return "This invitation was sent to another email address. Sign in with the account for that address.";
        }

        if (!user.EmailConfirmed)
        {
            return "Confirm your email address first (we sent you a link), then open the invitation again.";
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = Now;
        var claimed = await db.Set<OrganizationInvitation>()
            .Where(i => i.Id == invitation.Id && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(i => i.AcceptedAt, now).SetProperty(i => i.AcceptedBy, user.Id), cancellationToken);
        if (claimed == 0)
        {
            return "This invitation link is not valid any more. Ask for a new invitation.";
        }

        await JoinAsync(organization.Id, user.Id, invitation.RoleName, cancellationToken);
        db.Add(AuditEntry.Create(time, organization.Id, user.Id, "organization.invitation.accepted", invitation.Id, new { role = invitation.RoleName }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>
    /// Joins an account with a confirmed address to the organizations that verified its domain and allow it. Runs
    /// after e-mail confirmation (an unconfirmed address proves nothing).
    /// </summary>
    public async Task<int> AutoJoinAsync(PlintoUser user, CancellationToken cancellationToken)
    {
        if (!user.EmailConfirmed || DomainVerification.OfEmail(user.Email) is not { } domain)
        {
            return 0;
        }

        var userId = user.Id;
        var organizations = await db.Set<Organization>().AsNoTracking()
            .Where(o => o.AutoJoinVerifiedDomains
                && db.Set<OrganizationDomain>().Any(d => d.OrganizationId == o.Id && d.Name == domain && d.VerifiedAt != null)
                && !db.Set<OrganizationMember>().Any(m => m.OrganizationId == o.Id && m.UserId == userId))
            .ToListAsync(cancellationToken);
        if (organizations.Count == 0)
        {
            return 0;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var organization in organizations)
        {
            await JoinAsync(organization.Id, userId, organization.DefaultRole, cancellationToken);
            db.Add(AuditEntry.Create(time, organization.Id, userId, "organization.member.auto_joined", userId, new { domain, role = organization.DefaultRole }));
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogAutoJoined(logger, organizations.Count);
        return organizations.Count;
    }

    private async Task JoinAsync(string organizationId, string userId, string role, CancellationToken cancellationToken)
    {
        var member = await db.Set<OrganizationMember>().Include(m => m.Roles)
            .SingleOrDefaultAsync(m => m.OrganizationId == organizationId && m.UserId == userId, cancellationToken);
        if (member is null)
        {
            member = new OrganizationMember { OrganizationId = organizationId, UserId = userId, JoinedAt = Now };
            db.Add(member);
        }

        if (!member.Roles.Any(r => r.RoleName == role))
        {
            member.Roles.Add(new OrganizationMemberRole { OrganizationId = organizationId, UserId = userId, RoleName = role });
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account joined {Count} organization(s) through a verified domain.")]
    private static partial void LogAutoJoined(ILogger logger, int count);
}
