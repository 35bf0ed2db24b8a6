using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Data;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Organizations;

/// <summary>
/// Every change to organizations, for the admin API and the admin pages alike. Each command checks what the
/// actor may do in that organization (never trusting an id from the request to belong to it), then writes the
/// change and its audit entry in one transaction.
/// </summary>
internal sealed partial class OrganizationAdministration(
    PlintoDbContext db,
    UserManager<PlintoUser> users,
    IDnsTxtResolver dns,
    IOptions<OrganizationOptions> options,
    TimeProvider time,
    ILogger<OrganizationAdministration> logger)
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---------------------------------------------------------------- organizations

    /// <summary>Most results a list returns at once (<c>limit</c>); <c>offset</c> pages further.</summary>
    public const int MaxPageSize = 500;

    public async Task<IReadOnlyList<OrganizationView>> ListAsync(OrganizationActor actor, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = db.Set<Organization>().AsNoTracking();
        if (actor.OnlyOrganizationId is not null)
        {
            query = query.Where(o => o.Id == actor.OnlyOrganizationId);
        }

        if (!actor.IsPlatformAdmin)
        {
            var userId = actor.UserId;
            query = query.Where(o => db.Set<OrganizationMember>().Any(m => m.OrganizationId == o.Id && m.UserId == userId));
        }

        return (await query.OrderBy(o => o.Slug).Skip(Math.Max(offset, 0)).Take(Math.Clamp(limit, 1, MaxPageSize)).ToListAsync(cancellationToken))
            .Select(OrganizationView.From).ToList();
    }

    public async Task<OrganizationResult<OrganizationView>> GetAsync(OrganizationActor actor, string organizationId, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.Read, cancellationToken);
        return access.Organization is { } organization ? OrganizationView.From(organization) : access.Failure!;
    }

    /// <summary>Public branding of an organization (name, logo, colour) for the sign-in page; null when absent.</summary>
    public async Task<OrganizationView?> FindThemeAsync(string slug, CancellationToken cancellationToken) =>
        await db.Set<Organization>().AsNoTracking().SingleOrDefaultAsync(o => o.Slug == slug, cancellationToken) is { } organization
            ? OrganizationView.From(organization)
            : null;

    /// <summary>The id behind a slug (the caller still checks access with the id).</summary>
    public async Task<string?> FindIdBySlugAsync(string slug, CancellationToken cancellationToken) =>
        await db.Set<Organization>().Where(o => o.Slug == slug).Select(o => o.Id).SingleOrDefaultAsync(cancellationToken);

    /// <summary>Platform administrators, and any signed-in user when self-service is on (who then owns it).</summary>
    public async Task<OrganizationResult<OrganizationView>> CreateAsync(
        OrganizationActor actor, string? name, string? slug, string? ownerUserId, CancellationToken cancellationToken)
    {
        if (!actor.IsPlatformAdmin && !(options.Value.SelfService && actor.UserId is not null && actor.OnlyOrganizationId is null))
        {
            return new OrganizationFailure(OrganizationError.Forbidden, "Only platform administrators can create organizations.");
        }

        // A self-service creator always owns what they create; an administrator may name the owner (or none yet).
        var owner = actor.IsPlatformAdmin ? ownerUserId : actor.UserId;
        if (ValidateName(name) is { } invalidName)
        {
            return invalidName;
        }

        if (!OrganizationSlug.IsValid(slug))
        {
            return new OrganizationFailure(OrganizationError.Invalid,
                "slug must be 2 to 48 lower-case letters or digits, with single dashes inside (for example: acme-corp).");
        }

        if (owner is not null && await users.FindByIdAsync(owner) is null)
        {
            return new OrganizationFailure(OrganizationError.Invalid, "ownerUserId does not name an existing account.");
        }

        if (await IsSlugTakenAsync(slug!, byOrganizationId: null, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"The slug '{slug}' is taken.");
        }

        if (!actor.IsPlatformAdmin && await db.Set<OrganizationMemberRole>()
                .CountAsync(r => r.UserId == actor.UserId && r.RoleName == OrganizationRoles.Owner, cancellationToken) >= Limits.OwnedOrganizationsPerUser)
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"You own {Limits.OwnedOrganizationsPerUser} organizations already; that is the most.");
        }

        var organization = new Organization
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
            Name = name!.Trim(),
            Slug = slug!,
            CreatedAt = Now,
            Version = NewVersion(),
        };
        db.Add(organization);
        db.AddRange(OrganizationRoles.CreateBuiltIn(organization.Id));
        if (owner is not null)
        {
            db.Add(NewMember(organization.Id, owner, [OrganizationRoles.Owner]));
        }

        db.Add(AuditEntry.Create(time, organization.Id, actor.Id, "organization.created", organization.Id, new { organization.Name, organization.Slug, owner }));
        if (!await TrySaveAsync(cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"The slug '{slug}' is taken.");
        }

        return OrganizationView.From(organization);
    }

    /// <summary>Name, slug, logo, colour and policies; absent values stay as they are.</summary>
    public async Task<OrganizationResult<OrganizationView>> UpdateAsync(
        OrganizationActor actor, string organizationId, OrganizationUpdate update, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.Update, cancellationToken, track: true);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        if (update.Name is not null && ValidateName(update.Name) is { } invalidName)
        {
            return invalidName;
        }

        if (update.Slug is not null && !OrganizationSlug.IsValid(update.Slug))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "slug must be 2 to 48 lower-case letters or digits, with single dashes inside.");
        }

        if (update.LogoUrl is { Length: > 0 } logo
            && (!Uri.TryCreate(logo, UriKind.Absolute, out var logoUri) || logoUri.Scheme != Uri.UriSchemeHttps || logo.Length > 2048))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "logoUrl must be an https URL of at most 2048 characters.");
        }

        if (update.PrimaryColor is { Length: > 0 } color && !IsHexColor(color))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "primaryColor must be a colour such as #4f46e5.");
        }

        SignInMethods methods = organization.AllowedMethods;
        if (update.AllowedMethods is not null && !SignInMethodNames.TryParse(update.AllowedMethods, out methods))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "allowedMethods must list one or more of: password, passkey, saml, email_code.");
        }

        if (update.SessionLifetimeMinutes is < 5 or > 60 * 24 * 90)
        {
            return new OrganizationFailure(OrganizationError.Invalid, "sessionLifetimeMinutes must be between 5 and 129600 (90 days).");
        }

        if (update.DefaultRole is not null
            && !await db.Set<OrganizationRole>().AnyAsync(r => r.OrganizationId == organizationId && r.Name == update.DefaultRole, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Invalid, $"defaultRole '{update.DefaultRole}' is not a role of this organization.");
        }

        if (update.DefaultRole is not null && !await CanGrantAsync(actor, access, [update.DefaultRole], cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Forbidden, "You cannot make a role the default that has permissions you do not have.");
        }

        if (update.Slug is not null && update.Slug != organization.Slug)
        {
            if (await IsSlugTakenAsync(update.Slug, organizationId, cancellationToken))
            {
                return new OrganizationFailure(OrganizationError.Conflict, $"The slug '{update.Slug}' is taken.");
            }

            // The old slug stays this organization's: nobody else may take it (clients may still ask for it).
            await RetireSlugAsync(organization, cancellationToken);
            if (await db.Set<RetiredOrganizationSlug>().SingleOrDefaultAsync(r => r.Slug == update.Slug, cancellationToken) is { } back)
            {
                db.Remove(back); // taking back one of its own earlier slugs
            }
        }

        organization.Name = update.Name?.Trim() ?? organization.Name;
        organization.Slug = update.Slug ?? organization.Slug;
        organization.LogoUrl = update.LogoUrl is null ? organization.LogoUrl : NullIfEmpty(update.LogoUrl);
        organization.PrimaryColor = update.PrimaryColor is null ? organization.PrimaryColor : NullIfEmpty(update.PrimaryColor)?.ToLowerInvariant();
        organization.RequireMfa = update.RequireMfa ?? organization.RequireMfa;
        organization.AllowedMethods = methods;
        organization.SessionLifetimeMinutes = update.ClearSessionLifetime ? null : update.SessionLifetimeMinutes ?? organization.SessionLifetimeMinutes;
        organization.AutoJoinVerifiedDomains = update.AutoJoinVerifiedDomains ?? organization.AutoJoinVerifiedDomains;
        organization.DefaultRole = update.DefaultRole ?? organization.DefaultRole;
        organization.ScimDeleteDeactivates = update.ScimDeleteDeactivates ?? organization.ScimDeleteDeactivates;
        organization.Version = NewVersion();
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.updated", organizationId, update));
        if (!await TrySaveAsync(cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, "The organization changed at the same time (or the slug is taken); try again.");
        }

        return OrganizationView.From(organization);
    }

    /// <summary>Deletes the organization with everything it owns, and revokes the tokens issued for it.</summary>
    public async Task<OrganizationResult<bool>> DeleteAsync(OrganizationActor actor, string organizationId, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.Delete, cancellationToken, track: true);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await RevokeGrantsAsync(organizationId, userId: null, cancellationToken);
        await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId).ExecuteDeleteAsync(cancellationToken);
        await RetireSlugAsync(organization, cancellationToken);
        db.Remove(organization);
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.deleted", organizationId, new { organization.Slug }));
        if (!await TrySaveAsync(cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, "The organization changed at the same time; try again.");
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    // ---------------------------------------------------------------- members

    public async Task<OrganizationResult<IReadOnlyList<MemberView>>> ListMembersAsync(
        OrganizationActor actor, string organizationId, int offset, int limit, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.Read, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var rows = await db.Set<OrganizationMember>().AsNoTracking()
            .Where(m => m.OrganizationId == organizationId)
            .Join(db.Users, m => m.UserId, u => u.Id, (m, u) => new { m.UserId, u.Email, u.Name, m.JoinedAt, Roles = m.Roles.Select(r => r.RoleName).ToList() })
            .OrderBy(m => m.Email).ThenBy(m => m.UserId)
            .Skip(Math.Max(offset, 0)).Take(Math.Clamp(limit, 1, MaxPageSize))
            .ToListAsync(cancellationToken);
        return rows.Select(r => new MemberView(r.UserId, r.Email, r.Name, [.. r.Roles.Order(StringComparer.Ordinal)],
            DateTimeOffset.FromUnixTimeMilliseconds(r.JoinedAt))).ToList();
    }

    /// <summary>
    /// Adds an existing account directly: platform administrators only. Organization administrators invite
    /// instead, so nobody can be put into an organization without having accepted.
    /// </summary>
    public async Task<OrganizationResult<MemberView>> AddMemberAsync(
        OrganizationActor actor, string organizationId, string? userId, IReadOnlyList<string>? roles, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageMembers, cancellationToken, track: true);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        if (!actor.IsPlatformAdmin)
        {
            return new OrganizationFailure(OrganizationError.Forbidden, "Only platform administrators add members directly; invite the person instead.");
        }

        var user = userId is null ? null : await users.FindByIdAsync(userId);
        if (user is null)
        {
            return new OrganizationFailure(OrganizationError.Invalid, "userId does not name an existing account.");
        }

        roles = roles is { Count: > 0 } ? roles : [organization.DefaultRole];
        if (await ValidateRolesAsync(organizationId, roles, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        if (await db.Set<OrganizationMember>().AnyAsync(m => m.OrganizationId == organizationId && m.UserId == user.Id, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, "This account is already a member.");
        }

        var member = NewMember(organizationId, user.Id, roles);
        db.Add(member);
        organization.Version = NewVersion();
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.member.added", user.Id, new { roles }));
        if (!await TrySaveAsync(cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, "The organization changed at the same time; try again.");
        }

        return new MemberView(user.Id, user.Email, user.Name, [.. roles], DateTimeOffset.FromUnixTimeMilliseconds(member.JoinedAt));
    }

    /// <summary>Replaces a member's roles. Only owners grant or take away <c>owner</c>; the last owner stays one.</summary>
    public async Task<OrganizationResult<MemberView>> SetMemberRolesAsync(
        OrganizationActor actor, string organizationId, string userId, IReadOnlyList<string>? roles, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageMembers, cancellationToken, track: true);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        if (roles is not { Count: > 0 })
        {
            return new OrganizationFailure(OrganizationError.Invalid, "roles must name at least one role (to take every role away, remove the member).");
        }

        roles = [.. roles.Distinct(StringComparer.Ordinal)];
        if (await ValidateRolesAsync(organizationId, roles, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        var member = await db.Set<OrganizationMember>().Include(m => m.Roles)
            .SingleOrDefaultAsync(m => m.OrganizationId == organizationId && m.UserId == userId, cancellationToken);
        if (member is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No such member in this organization.");
        }

        var current = member.Roles.Select(r => r.RoleName).ToHashSet(StringComparer.Ordinal);
        var added = roles.Where(r => !current.Contains(r)).ToList();
        var removed = current.Where(r => !roles.Contains(r, StringComparer.Ordinal)).ToList();
        // Nobody hands out (or takes away) more than they hold: an admin cannot make anyone an owner, or demote one.
        if (!await CanGrantAsync(actor, access, [.. added, .. removed], cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Forbidden, "You cannot grant or remove a role that has permissions you do not have.");
        }

        if (removed.Contains(OrganizationRoles.Owner) && await IsLastOwnerAsync(organizationId, userId, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.LastOwner, "The last owner cannot be demoted; make someone else an owner first.");
        }

        member.Roles.RemoveAll(r => removed.Contains(r.RoleName));
        member.Roles.AddRange(added.Select(r => new OrganizationMemberRole { OrganizationId = organizationId, UserId = userId, RoleName = r }));
        organization.Version = NewVersion();
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.member.roles_changed", userId, new { added, removed }));
        if (!await TrySaveAsync(cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, "The organization changed at the same time; try again.");
        }

        var user = await users.FindByIdAsync(userId);
        return new MemberView(userId, user?.Email, user?.Name, [.. roles.Order(StringComparer.Ordinal)], DateTimeOffset.FromUnixTimeMilliseconds(member.JoinedAt));
    }

    /// <summary>
    /// Removes a member (or lets a member leave), and revokes every token issued to them for this organization.
    /// The last owner can neither leave nor be removed.
    /// </summary>
    public async Task<OrganizationResult<bool>> RemoveMemberAsync(
        OrganizationActor actor, string organizationId, string userId, CancellationToken cancellationToken)
    {
        // Leaving needs only the membership itself (even a role without any permission lets its holder leave).
        var leaving = actor.UserId == userId && !actor.IsPlatformAdmin;
        var access = leaving
            ? await AuthorizeMembershipAsync(actor, organizationId, cancellationToken)
            : await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageMembers, cancellationToken, track: true);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        var member = await db.Set<OrganizationMember>().Include(m => m.Roles)
            .SingleOrDefaultAsync(m => m.OrganizationId == organizationId && m.UserId == userId, cancellationToken);
        if (member is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No such member in this organization.");
        }

        var roles = member.Roles.Select(r => r.RoleName).ToList();
        if (!leaving && !await CanGrantAsync(actor, access, roles, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Forbidden, "You cannot remove a member whose roles have permissions you do not have.");
        }

        if (roles.Contains(OrganizationRoles.Owner) && await IsLastOwnerAsync(organizationId, userId, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.LastOwner, "The last owner cannot leave or be removed; make someone else an owner first.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Remove(member);
        organization.Version = NewVersion();
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, leaving ? "organization.member.left" : "organization.member.removed", userId, new { roles }));
        if (!await TrySaveAsync(cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, "The organization changed at the same time; try again.");
        }

        var revoked = await RevokeGrantsAsync(organizationId, userId, cancellationToken);
        // The organization's provisioning record goes with the membership (a later SCIM create starts afresh).
        await db.Set<Scim.ScimUser>().Where(u => u.OrganizationId == organizationId && u.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogMemberRemoved(logger, organizationId, revoked);
        return true;
    }

    // ---------------------------------------------------------------- roles and permissions

    public async Task<OrganizationResult<IReadOnlyList<RoleView>>> ListRolesAsync(
        OrganizationActor actor, string organizationId, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.Read, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var roles = await db.Set<OrganizationRole>().AsNoTracking().Where(r => r.OrganizationId == organizationId).ToListAsync(cancellationToken);
        return roles.OrderBy(r => r.BuiltIn ? Array.IndexOf(OrganizationRoles.BuiltIn, r.Name) : 10).ThenBy(r => r.Name, StringComparer.Ordinal)
            .Select(ToView).ToList();
    }

    /// <summary>Creates or replaces a custom role. Built-in roles cannot be changed.</summary>
    public async Task<OrganizationResult<RoleView>> SaveRoleAsync(
        OrganizationActor actor, string organizationId, string name, string? description, IReadOnlyList<string>? permissions,
        CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageRoles, cancellationToken, track: true);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        if (!OrganizationSlug.IsValidName(name))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "A role name is 1 to 64 lower-case letters, digits and : . _ - characters.");
        }

        if (OrganizationRoles.BuiltIn.Contains(name))
        {
            return new OrganizationFailure(OrganizationError.Invalid, $"'{name}' is a built-in role and cannot be changed.");
        }

        permissions = [.. (permissions ?? []).Distinct(StringComparer.Ordinal)];
        if (permissions.FirstOrDefault(p => p is OrganizationRoles.Permissions.Delete or OrganizationRoles.Permissions.ManageSso) is { } ownerOnly)
        {
            return new OrganizationFailure(OrganizationError.Invalid, $"'{ownerOnly}' belongs to the owner role only.");
        }

        var custom = await db.Set<OrganizationPermission>().Where(p => p.OrganizationId == organizationId).Select(p => p.Name).ToListAsync(cancellationToken);
        var unknown = permissions.Where(p => !OrganizationRoles.Permissions.All.Contains(p) && !custom.Contains(p)).ToList();
        if (unknown.Count > 0)
        {
            return new OrganizationFailure(OrganizationError.Invalid, $"Unknown permission(s): {string.Join(", ", unknown)}. Define custom permissions first.");
        }

        if (permissions.Count > Limits.PermissionsPerRole)
        {
            return new OrganizationFailure(OrganizationError.Invalid, $"A role has at most {Limits.PermissionsPerRole} permissions.");
        }

        var role = await db.Set<OrganizationRole>().SingleOrDefaultAsync(r => r.OrganizationId == organizationId && r.Name == name, cancellationToken);

        // A role is never stronger than its author in administering the organization (built-in org:* permissions),
        // before or after the change: no escalation by adding to a role, no demotion by taking away from one. The
        // organization's own permissions are for its applications. Changing a role that people hold changes what
        // they can do, so it also needs the right to manage members.
        if (!actor.IsPlatformAdmin)
        {
            var touched = permissions.Concat(role?.PermissionList ?? []).Where(IsBuiltInPermission);
            if (touched.Except(access.Permissions).Any())
            {
                return new OrganizationFailure(OrganizationError.Forbidden, "A role cannot gain or lose permissions you do not have.");
            }

            if (role is not null && !access.Permissions.Contains(OrganizationRoles.Permissions.ManageMembers)
                && await db.Set<OrganizationMemberRole>().AnyAsync(r => r.OrganizationId == organizationId && r.RoleName == name, cancellationToken))
            {
                return new OrganizationFailure(OrganizationError.Forbidden,
                    $"Changing a role that members hold also needs the '{OrganizationRoles.Permissions.ManageMembers}' permission.");
            }
        }

        if (role is null)
        {
            if (await db.Set<OrganizationRole>().CountAsync(r => r.OrganizationId == organizationId, cancellationToken) >= Limits.RolesPerOrganization)
            {
                return new OrganizationFailure(OrganizationError.Conflict, $"An organization has at most {Limits.RolesPerOrganization} roles.");
            }

            role = new OrganizationRole { OrganizationId = organizationId, Name = name };
            db.Add(role);
        }

        role.Description = description is { Length: > 256 } ? description[..256] : description;
        role.Permissions = string.Join(' ', permissions);
        organization.Version = NewVersion();
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.role.saved", name, new { permissions }));
        if (!await TrySaveAsync(cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, "The organization changed at the same time; try again.");
        }

        return ToView(role);
    }

    public async Task<OrganizationResult<bool>> DeleteRoleAsync(OrganizationActor actor, string organizationId, string name, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageRoles, cancellationToken, track: true);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        var role = await db.Set<OrganizationRole>().SingleOrDefaultAsync(r => r.OrganizationId == organizationId && r.Name == name, cancellationToken);
        if (role is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No such role in this organization.");
        }

        if (role.BuiltIn)
        {
            return new OrganizationFailure(OrganizationError.Invalid, $"'{name}' is a built-in role and cannot be deleted.");
        }

        if (organization.DefaultRole == name
            || await db.Set<OrganizationMemberRole>().AnyAsync(r => r.OrganizationId == organizationId && r.RoleName == name, cancellationToken)
            || await db.Set<Scim.ScimGroup>().AnyAsync(g => g.OrganizationId == organizationId && g.RoleName == name, cancellationToken)
            || await db.Set<OrganizationInvitation>().AnyAsync(
                i => i.OrganizationId == organizationId && i.RoleName == name && i.AcceptedAt == null && i.RevokedAt == null, cancellationToken)
            || (await db.Set<Federation.Saml.SamlConnection>().Where(c => c.OrganizationId == organizationId).Select(c => c.GroupRoles).ToListAsync(cancellationToken))
                .Any(map => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(map)?.ContainsValue(name) is true))
        {
            return new OrganizationFailure(OrganizationError.Conflict,
                "The role is in use (by members, pending invitations, a SCIM group, a single sign-on group mapping or as the default role).");
        }

        db.Remove(role);
        organization.Version = NewVersion();
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.role.deleted", name));
        return await TrySaveAsync(cancellationToken)
            ? true
            : new OrganizationFailure(OrganizationError.Conflict, "The organization changed at the same time; try again.");
    }

    public async Task<OrganizationResult<IReadOnlyList<PermissionView>>> ListPermissionsAsync(
        OrganizationActor actor, string organizationId, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.Read, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var custom = await db.Set<OrganizationPermission>().AsNoTracking().Where(p => p.OrganizationId == organizationId).ToListAsync(cancellationToken);
        return OrganizationRoles.Permissions.All.Select(p => new PermissionView(p, null, BuiltIn: true))
            .Concat(custom.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new PermissionView(p.Name, p.Description, BuiltIn: false)))
            .ToList();
    }

    public async Task<OrganizationResult<PermissionView>> CreatePermissionAsync(
        OrganizationActor actor, string organizationId, string? name, string? description, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageRoles, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        if (!OrganizationSlug.IsValidName(name) || name!.StartsWith("org:", StringComparison.Ordinal))
        {
            return new OrganizationFailure(OrganizationError.Invalid,
                "A permission name is 1 to 64 lower-case letters, digits and : . _ - characters, and cannot start with 'org:' (built-in).");
        }

        if (await db.Set<OrganizationPermission>().AnyAsync(p => p.OrganizationId == organizationId && p.Name == name, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"The permission '{name}' exists already.");
        }

        if (await db.Set<OrganizationPermission>().CountAsync(p => p.OrganizationId == organizationId, cancellationToken) >= Limits.CustomPermissionsPerOrganization)
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"An organization has at most {Limits.CustomPermissionsPerOrganization} custom permissions.");
        }

        db.Add(new OrganizationPermission { OrganizationId = organizationId, Name = name, Description = description is { Length: > 256 } ? description[..256] : description });
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.permission.created", name));
        return await TrySaveAsync(cancellationToken)
            ? new PermissionView(name, description, BuiltIn: false)
            : new OrganizationFailure(OrganizationError.Conflict, $"The permission '{name}' exists already.");
    }

    /// <summary>Deletes a custom permission and takes it out of every role of the organization.</summary>
    public async Task<OrganizationResult<bool>> DeletePermissionAsync(
        OrganizationActor actor, string organizationId, string name, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageRoles, cancellationToken, track: true);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        var permission = await db.Set<OrganizationPermission>().SingleOrDefaultAsync(p => p.OrganizationId == organizationId && p.Name == name, cancellationToken);
        if (permission is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No such custom permission in this organization.");
        }

        foreach (var role in await db.Set<OrganizationRole>().Where(r => r.OrganizationId == organizationId && !r.BuiltIn).ToListAsync(cancellationToken))
        {
            role.Permissions = string.Join(' ', role.PermissionList.Where(p => p != name));
        }

        db.Remove(permission);
        organization.Version = NewVersion();
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.permission.deleted", name));
        return await TrySaveAsync(cancellationToken)
            ? true
            : new OrganizationFailure(OrganizationError.Conflict, "The organization changed at the same time; try again.");
    }

    // ---------------------------------------------------------------- invitations

    public async Task<OrganizationResult<IReadOnlyList<InvitationView>>> ListInvitationsAsync(
        OrganizationActor actor, string organizationId, int offset, int limit, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageInvitations, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var now = time.GetUtcNow();
        var invitations = await db.Set<OrganizationInvitation>().AsNoTracking()
            .Where(i => i.OrganizationId == organizationId).OrderByDescending(i => i.CreatedAt).ThenBy(i => i.Id)
            .Skip(Math.Max(offset, 0)).Take(Math.Clamp(limit, 1, MaxPageSize)).ToListAsync(cancellationToken);
        return invitations.Select(i => InvitationView.From(i, now)).ToList();
    }

    /// <summary>
    /// Creates an invitation and returns its link (shown once; only a hash is kept). <paramref name="linkBase"/> is
    /// the absolute URL of the acceptance page, to which the token is appended.
    /// </summary>
    public async Task<OrganizationResult<CreatedInvitation>> InviteAsync(
        OrganizationActor actor, string organizationId, string? email, string? role, string linkBase, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageInvitations, cancellationToken);
        if (access.Organization is not { } organization)
        {
            return access.Failure!;
        }

        if (string.IsNullOrWhiteSpace(email) || !System.Net.Mail.MailAddress.TryCreate(email.Trim(), out var address)
            || address.Address != email.Trim() || email.Length > 256)
        {
            return new OrganizationFailure(OrganizationError.Invalid, "email must be one e-mail address such as ada@example.com.");
        }

        role ??= organization.DefaultRole;
        if (await ValidateRolesAsync(organizationId, [role], cancellationToken) is { } invalid)
        {
            return invalid;
        }

        if (!await CanGrantAsync(actor, access, [role], cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Forbidden, "You cannot invite with a role that has permissions you do not have.");
        }

        // Invitations send mail from this service's domain: bounded, so an organization cannot turn it into a spam relay.
        var now = Now;
        var dayAgo = now - (long)TimeSpan.FromDays(1).TotalMilliseconds;
        if (await db.Set<OrganizationInvitation>().CountAsync(i => i.OrganizationId == organizationId && i.CreatedAt > dayAgo, cancellationToken)
            >= Limits.InvitationsPerOrganizationPerDay)
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"At most {Limits.InvitationsPerOrganizationPerDay} invitations a day; try again tomorrow.");
        }

        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var invitation = new OrganizationInvitation
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
            OrganizationId = organizationId,
            Email = address.Address,
            NormalizedEmail = users.NormalizeEmail(address.Address),
            RoleName = role,
            TokenHash = HashToken(token),
            InvitedBy = actor.Id,
            CreatedAt = Now,
            ExpiresAt = Now + (long)options.Value.InvitationLifetime.TotalMilliseconds,
        };
        db.Add(invitation);
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.invitation.created", invitation.Id, new { role }));
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedInvitation(InvitationView.From(invitation, time.GetUtcNow()), $"{linkBase}?token={token}");
    }

    public async Task<OrganizationResult<bool>> RevokeInvitationAsync(
        OrganizationActor actor, string organizationId, string invitationId, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageInvitations, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var now = Now;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var revoked = await db.Set<OrganizationInvitation>()
            .Where(i => i.Id == invitationId && i.OrganizationId == organizationId && i.AcceptedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(i => i.RevokedAt, now), cancellationToken);
        if (revoked == 0)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No pending invitation with this id in this organization.");
        }

        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.invitation.revoked", invitationId));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    // ---------------------------------------------------------------- domains

    public async Task<OrganizationResult<IReadOnlyList<DomainView>>> ListDomainsAsync(
        OrganizationActor actor, string organizationId, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageDomains, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var domains = await db.Set<OrganizationDomain>().AsNoTracking().Where(d => d.OrganizationId == organizationId).ToListAsync(cancellationToken);
        return domains.OrderBy(d => d.Name, StringComparer.Ordinal).Select(DomainView.From).ToList();
    }

    public async Task<OrganizationResult<DomainView>> AddDomainAsync(
        OrganizationActor actor, string organizationId, string? name, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageDomains, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        if (DomainVerification.Normalize(name) is not { } domain)
        {
            return new OrganizationFailure(OrganizationError.Invalid, "name must be a domain name such as example.com.");
        }

        if (await db.Set<OrganizationDomain>().AnyAsync(d => d.OrganizationId == organizationId && d.Name == domain, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"{domain} is already listed for this organization.");
        }

        if (await db.Set<OrganizationDomain>().CountAsync(d => d.OrganizationId == organizationId, cancellationToken) >= Limits.DomainsPerOrganization)
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"An organization has at most {Limits.DomainsPerOrganization} domains.");
        }

        var entity = new OrganizationDomain
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
            OrganizationId = organizationId,
            Name = domain,
            VerificationToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            CreatedAt = Now,
        };
        db.Add(entity);
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.domain.added", domain));
        await db.SaveChangesAsync(cancellationToken);
        return DomainView.From(entity);
    }

    /// <summary>
    /// Verifies a domain: by its DNS TXT record, or — <paramref name="byAdministrator"/>, platform administrators
    /// only — by decision. A domain verified for another organization cannot be verified again.
    /// </summary>
    public async Task<OrganizationResult<DomainView>> VerifyDomainAsync(
        OrganizationActor actor, string organizationId, string domainId, bool byAdministrator, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageDomains, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        if (byAdministrator && !actor.IsPlatformAdmin)
        {
            return new OrganizationFailure(OrganizationError.Forbidden, "Only platform administrators can mark a domain verified without DNS.");
        }

        var domain = await db.Set<OrganizationDomain>().SingleOrDefaultAsync(d => d.Id == domainId && d.OrganizationId == organizationId, cancellationToken);
        if (domain is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No such domain in this organization.");
        }

        if (domain.VerifiedAt is not null)
        {
            return DomainView.From(domain);
        }

        if (await db.Set<OrganizationDomain>().AnyAsync(d => d.Name == domain.Name && d.VerifiedAt != null && d.OrganizationId != organizationId, cancellationToken))
        {
            return new OrganizationFailure(OrganizationError.Conflict, $"{domain.Name} is verified by another organization.");
        }

        if (!byAdministrator)
        {
            var expected = DomainVerification.RecordValue(domain.VerificationToken);
            var records = await dns.ResolveTxtAsync(DomainVerification.RecordName(domain.Name), cancellationToken);
            if (!records.Any(r => string.Equals(r.Trim(), expected, StringComparison.Ordinal)))
            {
                return new OrganizationFailure(OrganizationError.Invalid,
                    $"No TXT record {DomainVerification.RecordName(domain.Name)} with the value {expected} was found yet (DNS changes can take a while).");
            }
        }

        domain.VerifiedAt = Now;
        domain.VerifiedBy = byAdministrator ? "admin" : "dns";
        domain.VerifiedName = domain.Name;
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.domain.verified", domain.Name, new { domain.VerifiedBy }));
        return await TrySaveAsync(cancellationToken)
            ? DomainView.From(domain)
            : new OrganizationFailure(OrganizationError.Conflict, $"{domain.Name} is verified by another organization.");
    }

    public async Task<OrganizationResult<bool>> DeleteDomainAsync(
        OrganizationActor actor, string organizationId, string domainId, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageDomains, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var domain = await db.Set<OrganizationDomain>().SingleOrDefaultAsync(d => d.Id == domainId && d.OrganizationId == organizationId, cancellationToken);
        if (domain is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No such domain in this organization.");
        }

        db.Remove(domain);
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "organization.domain.deleted", domain.Name));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    // ---------------------------------------------------------------- audit

    public async Task<OrganizationResult<IReadOnlyList<AuditView>>> ListAuditAsync(
        OrganizationActor actor, string organizationId, int limit, CancellationToken cancellationToken)
    {
        var access = await AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ReadAudit, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var entries = await db.Set<AuditEntry>().AsNoTracking().Where(e => e.OrganizationId == organizationId)
            .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(Math.Clamp(limit, 1, 500)).ToListAsync(cancellationToken);
        return entries.Select(e => new AuditView(DateTimeOffset.FromUnixTimeMilliseconds(e.OccurredAt), e.Actor, e.Action, e.Target, e.Data)).ToList();
    }

    // ---------------------------------------------------------------- shared rules

    /// <summary>The actor's view of one organization: the entity when they may use <paramref name="permission"/>.</summary>
    internal sealed record Access(Organization? Organization, IReadOnlySet<string> Permissions, OrganizationFailure? Failure);

    /// <summary>
    /// Resolves the organization for this actor. Not a member, or a token bound to another organization: 404, as
    /// if it did not exist (no probing of other tenants). A member without the permission: 403.
    /// </summary>
    internal async Task<Access> AuthorizeAsync(
        OrganizationActor actor, string organizationId, string permission, CancellationToken cancellationToken, bool track = false)
    {
        var empty = new HashSet<string>();
        if (actor.OnlyOrganizationId is not null && actor.OnlyOrganizationId != organizationId)
        {
            return new(null, empty, OrganizationFailure.NotFound);
        }

        var query = track ? db.Set<Organization>() : db.Set<Organization>().AsNoTracking();
        var organization = await query.SingleOrDefaultAsync(o => o.Id == organizationId, cancellationToken);
        if (organization is null)
        {
            return new(null, empty, OrganizationFailure.NotFound);
        }

        if (actor.IsPlatformAdmin)
        {
            return new(organization, OrganizationRoles.Permissions.All.ToHashSet(), null);
        }

        var permissions = actor.UserId is null ? empty : await PermissionsOfAsync(db, organizationId, actor.UserId, cancellationToken);
        if (permissions.Count == 0)
        {
            return new(null, empty, OrganizationFailure.NotFound);
        }

        return permissions.Contains(permission)
            ? new(organization, permissions, null)
            : new(null, permissions, new(OrganizationError.Forbidden, $"This needs the '{permission}' permission in the organization."));
    }

    /// <summary>The organization when the actor is a member of it (whatever the roles); 404 otherwise.</summary>
    private async Task<Access> AuthorizeMembershipAsync(OrganizationActor actor, string organizationId, CancellationToken cancellationToken)
    {
        var empty = new HashSet<string>();
        var userId = actor.UserId;
        if ((actor.OnlyOrganizationId is not null && actor.OnlyOrganizationId != organizationId) || userId is null
            || !await db.Set<OrganizationMember>().AnyAsync(m => m.OrganizationId == organizationId && m.UserId == userId, cancellationToken))
        {
            return new(null, empty, OrganizationFailure.NotFound);
        }

        var organization = await db.Set<Organization>().SingleAsync(o => o.Id == organizationId, cancellationToken);
        return new(organization, await PermissionsOfAsync(db, organizationId, userId, cancellationToken), null);
    }

    /// <summary>In use by an organization, or retired by one other than <paramref name="byOrganizationId"/>.</summary>
    private async Task<bool> IsSlugTakenAsync(string slug, string? byOrganizationId, CancellationToken cancellationToken) =>
        await db.Set<Organization>().AnyAsync(o => o.Slug == slug && o.Id != byOrganizationId, cancellationToken)
        || await db.Set<RetiredOrganizationSlug>().AnyAsync(r => r.Slug == slug && r.OrganizationId != byOrganizationId, cancellationToken);

    private async Task RetireSlugAsync(Organization organization, CancellationToken cancellationToken)
    {
        if (!await db.Set<RetiredOrganizationSlug>().AnyAsync(r => r.Slug == organization.Slug, cancellationToken))
        {
            db.Add(new RetiredOrganizationSlug { Slug = organization.Slug, OrganizationId = organization.Id, RetiredAt = Now });
        }
    }

    /// <summary>Upper bounds that keep one tenant from exhausting the service (and its mail reputation).</summary>
    internal static class Limits
    {
        public const int OwnedOrganizationsPerUser = 20;
        public const int RolesPerOrganization = 100;
        public const int PermissionsPerRole = 50;
        public const int CustomPermissionsPerOrganization = 200;
        public const int DomainsPerOrganization = 50;
        public const int InvitationsPerOrganizationPerDay = 200;
    }

    /// <summary>Union of the permissions of a member's roles; empty for a non-member.</summary>
    internal static async Task<HashSet<string>> PermissionsOfAsync(PlintoDbContext db, string organizationId, string userId, CancellationToken cancellationToken)
    {
        var lists = await db.Set<OrganizationMemberRole>()
            .Where(m => m.OrganizationId == organizationId && m.UserId == userId)
            .Join(db.Set<OrganizationRole>(), m => new { m.OrganizationId, Name = m.RoleName }, r => new { r.OrganizationId, r.Name }, (m, r) => r.Permissions)
            .ToListAsync(cancellationToken);
        return lists.SelectMany(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// True when every built-in (<c>org:*</c>) permission of the given roles is one the actor holds (platform
    /// administrators hold all): nobody hands out more power over the organization than they have.
    /// </summary>
    private async Task<bool> CanGrantAsync(OrganizationActor actor, Access access, IReadOnlyCollection<string> roleNames, CancellationToken cancellationToken)
    {
        if (actor.IsPlatformAdmin || roleNames.Count == 0)
        {
            return true;
        }

        var organizationId = access.Organization!.Id;
        var lists = await db.Set<OrganizationRole>().Where(r => r.OrganizationId == organizationId && roleNames.Contains(r.Name))
            .Select(r => r.Permissions).ToListAsync(cancellationToken);
        return lists.SelectMany(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(IsBuiltInPermission).All(access.Permissions.Contains);
    }

    private static bool IsBuiltInPermission(string permission) => permission.StartsWith("org:", StringComparison.Ordinal);

    private async Task<OrganizationFailure?> ValidateRolesAsync(string organizationId, IReadOnlyCollection<string> roles, CancellationToken cancellationToken)
    {
        var known = await db.Set<OrganizationRole>().Where(r => r.OrganizationId == organizationId && roles.Contains(r.Name))
            .Select(r => r.Name).ToListAsync(cancellationToken);
        var unknown = roles.Except(known, StringComparer.Ordinal).ToList();
        return unknown.Count == 0
            ? null
            : new OrganizationFailure(OrganizationError.Invalid, $"Unknown role(s) in this organization: {string.Join(", ", unknown)}.");
    }

    private async Task<bool> IsLastOwnerAsync(string organizationId, string userId, CancellationToken cancellationToken) =>
        !await db.Set<OrganizationMemberRole>().AnyAsync(
            r => r.OrganizationId == organizationId && r.RoleName == OrganizationRoles.Owner && r.UserId != userId, cancellationToken);

    /// <summary>
    /// Revokes the authorizations (and so every token) issued for this organization — to one member, or to all.
    /// Returns how many authorizations were revoked.
    /// </summary>
    private Task<int> RevokeGrantsAsync(string organizationId, string? userId, CancellationToken cancellationToken) =>
        RevokeGrantsAsync(db, organizationId, userId, cancellationToken);

    /// <summary>The same, for other features (SCIM deprovisioning) working in their own transaction.</summary>
    internal static async Task<int> RevokeGrantsAsync(PlintoDbContext db, string organizationId, string? userId, CancellationToken cancellationToken)
    {
        var grants = db.Set<OrganizationGrant>().Where(g => g.OrganizationId == organizationId && (userId == null || g.UserId == userId))
            .Select(g => g.AuthorizationId);
        await Connect.PlintoTokenStore.RevokeAsync(db.Set<OpenIddictEntityFrameworkCoreToken>()
            .Where(t => t.Authorization != null && grants.Contains(t.Authorization.Id!) && t.Status != Statuses.Revoked), cancellationToken);
        return await db.Set<OpenIddictEntityFrameworkCoreAuthorization>()
            .Where(a => grants.Contains(a.Id!) && a.Status != Statuses.Revoked)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.Status, Statuses.Revoked), cancellationToken);
    }

    private OrganizationMember NewMember(string organizationId, string userId, IEnumerable<string> roles) => new()
    {
        OrganizationId = organizationId,
        UserId = userId,
        JoinedAt = Now,
        Roles = [.. roles.Select(r => new OrganizationMemberRole { OrganizationId = organizationId, UserId = userId, RoleName = r })],
    };

    /// <summary>Saves; false on a concurrency conflict or a unique index violation (another request won).</summary>
    private async Task<bool> TrySaveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }

    private static OrganizationFailure? ValidateName(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Trim().Length > 100
            ? new OrganizationFailure(OrganizationError.Invalid, "name is required (1 to 100 characters).")
            : null;

    private static bool IsHexColor(string value) =>
        value.Length == 7 && value[0] == '#' && value.Skip(1).All(char.IsAsciiHexDigit);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string NewVersion() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static RoleView ToView(OrganizationRole r) => new(r.Name, r.Description, r.PermissionList, r.BuiltIn);

    internal static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Information, Message = "Member removed from organization {OrganizationId}; {Authorizations} authorization(s) revoked.")]
    private static partial void LogMemberRemoved(ILogger logger, string organizationId, int authorizations);
}

/// <summary>A partial update of an organization (null: unchanged).</summary>
internal sealed record OrganizationUpdate(
    string? Name = null,
    string? Slug = null,
    string? LogoUrl = null,
    string? PrimaryColor = null,
    bool? RequireMfa = null,
    IReadOnlyList<string>? AllowedMethods = null,
    int? SessionLifetimeMinutes = null,
    bool ClearSessionLifetime = false,
    bool? AutoJoinVerifiedDomains = null,
    string? DefaultRole = null,
    bool? ScimDeleteDeactivates = null);
