using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Organizations;
using Plinto.Scim;

namespace Plinto.IdentityServer.Scim;

/// <summary>
/// SCIM Groups of one organization. Each group is an organization role (created with the group, without
/// permissions: the organization gives it some on its roles page); its members are the role's holders, so group
/// membership reaches tokens as <c>org_roles</c> and <c>org_permissions</c>. Membership changes are applied as
/// row inserts and deletes for the members named — a group of thousands is never loaded to change one member.
/// </summary>
internal sealed class ScimGroups(PlintoDbContext db, TimeProvider time)
{
    private static readonly ScimSchema GroupWithoutMembers = ScimSchemas.Group with { Attributes = [.. ScimSchemas.Group.Attributes.Where(a => a.Name != "members")] };
    private static readonly ScimPatcher Patcher = new(GroupWithoutMembers);

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<JsonObject> GetAsync(string organizationId, string id, bool withMembers, string baseUrl, CancellationToken cancellationToken)
    {
        var group = await FindAsync(organizationId, id, track: false, cancellationToken);
        return (await ToResourcesAsync([group], withMembers, baseUrl, cancellationToken))[0];
    }

    public async Task<(int Total, IReadOnlyList<JsonObject> Resources)> ListAsync(
        string organizationId, string? filter, int startIndex, int count, bool descending, bool withMembers, string baseUrl, CancellationToken cancellationToken)
    {
        var query = db.Set<ScimGroup>().AsNoTracking().Where(g => g.OrganizationId == organizationId);
        if (!string.IsNullOrWhiteSpace(filter))
        {
            query = query.Where(ScimQuery.Groups(ScimFilterParser.Parse(filter), db));
        }

        var total = await query.CountAsync(cancellationToken);
        query = descending ? query.OrderByDescending(g => g.NormalizedDisplayName) : query.OrderBy(g => g.NormalizedDisplayName);
        var groups = count == 0 ? [] : await query.Skip(startIndex - 1).Take(count).ToListAsync(cancellationToken);
        return (total, await ToResourcesAsync(groups, withMembers, baseUrl, cancellationToken));
    }

    public async Task<JsonObject> CreateAsync(string organizationId, JsonNode? body, string actor, string baseUrl, CancellationToken cancellationToken)
    {
        var (resource, members) = Normalize(body, requireSchema: true);
        var displayName = DisplayNameOf(resource);
        var normalized = displayName.ToUpperInvariant();
        if (await db.Set<ScimGroup>().AnyAsync(g => g.OrganizationId == organizationId && g.NormalizedDisplayName == normalized, cancellationToken))
        {
            throw new ScimException(409, ScimErrorType.Uniqueness, $"A group named '{displayName}' exists in this organization.");
        }

        if (await db.Set<OrganizationRole>().CountAsync(r => r.OrganizationId == organizationId, cancellationToken) >= OrganizationAdministration.Limits.RolesPerOrganization)
        {
            throw new ScimException(409, null, $"An organization has at most {OrganizationAdministration.Limits.RolesPerOrganization} roles, and each group is one.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var group = new ScimGroup
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
            OrganizationId = organizationId,
            DisplayName = displayName,
            NormalizedDisplayName = normalized,
            ExternalId = resource["externalId"]?.GetValue<string>(),
            RoleName = await NewRoleNameAsync(organizationId, displayName, cancellationToken),
            CreatedAt = Now,
            ModifiedAt = Now,
            Version = ScimUsers.NewVersion(),
        };
        db.Add(new OrganizationRole
        {
            OrganizationId = organizationId,
            Name = group.RoleName,
            Description = Truncate($"SCIM group: {displayName}", 256),
            Permissions = string.Empty,
        });
        db.Add(group);
        await AddMembersAsync(group, members ?? [], cancellationToken);
        db.Add(AuditEntry.Create(time, organizationId, actor, "scim.group.created", group.Id, new { displayName, role = group.RoleName }));
        await SaveAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await ToResourcesAsync([group], withMembers: true, baseUrl, cancellationToken))[0];
    }

    /// <summary>PUT: name, externalId and the whole member list become what was sent.</summary>
    public async Task<JsonObject> ReplaceAsync(
        string organizationId, string id, JsonNode? body, string? ifMatch, string actor, string baseUrl, CancellationToken cancellationToken)
    {
        var group = await FindAsync(organizationId, id, track: true, cancellationToken);
        ScimUsers.CheckVersion(group.Version, ifMatch);
        var (resource, members) = Normalize(body, requireSchema: false);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await RenameAsync(group, DisplayNameOf(resource), cancellationToken);
        group.ExternalId = resource["externalId"]?.GetValue<string>();
        await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId && r.RoleName == group.RoleName).ExecuteDeleteAsync(cancellationToken);
        await AddMembersAsync(group, members ?? [], cancellationToken);
        Touch(group);
        db.Add(AuditEntry.Create(time, organizationId, actor, "scim.group.replaced", group.Id, new { members = members?.Count ?? 0 }));
        await SaveAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await ToResourcesAsync([group], withMembers: true, baseUrl, cancellationToken))[0];
    }

    /// <summary>PATCH: member operations become inserts and deletes of exactly those members; other attributes go through the patcher.</summary>
    public async Task<JsonObject?> PatchAsync(
        string organizationId, string id, JsonNode? body, string? ifMatch, string actor, bool returnResource, string baseUrl, CancellationToken cancellationToken)
    {
        var operations = ScimPatchRequest.Parse(body);
        var group = await FindAsync(organizationId, id, track: true, cancellationToken);
        ScimUsers.CheckVersion(group.Version, ifMatch);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (added, removed) = (0, 0);
        foreach (var operation in operations)
        {
            if (operation.Path is { } path && path.Attribute.Name.Equals("members", StringComparison.OrdinalIgnoreCase))
            {
                var counts = await PatchMembersAsync(group, operation, cancellationToken);
                added += counts.Added;
                removed += counts.Removed;
                continue;
            }

            if (operation.Path is null && operation.Value is JsonObject attributes
                && attributes.FirstOrDefault(p => p.Key.Equals("members", StringComparison.OrdinalIgnoreCase)) is { Key: not null } members)
            {
                // Path-less {"members": [...]} (add or replace), next to other attributes.
                var counts = await PatchMembersAsync(group, operation with { Path = ScimFilterParser.ParsePath("members"), Value = members.Value }, cancellationToken);
                added += counts.Added;
                removed += counts.Removed;
                var rest = attributes.DeepClone().AsObject();
                rest.Remove(members.Key);
                if (rest.Count == 0)
                {
                    continue;
                }

                ApplyToAttributes(group, operation with { Value = rest });
                continue;
            }

            ApplyToAttributes(group, operation);
        }

        Touch(group);
        db.Add(AuditEntry.Create(time, organizationId, actor, "scim.group.patched", group.Id, new { added, removed }));
        await SaveAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return returnResource ? (await ToResourcesAsync([group], withMembers: true, baseUrl, cancellationToken))[0] : null;
    }

    public async Task DeleteAsync(string organizationId, string id, string? ifMatch, string actor, CancellationToken cancellationToken)
    {
        var group = await FindAsync(organizationId, id, track: true, cancellationToken);
        ScimUsers.CheckVersion(group.Version, ifMatch);
        if (await db.Set<Organization>().AnyAsync(o => o.Id == organizationId && o.DefaultRole == group.RoleName, cancellationToken))
        {
            throw ScimException.BadRequest(ScimErrorType.Mutability, "This group's role is the organization's default role; choose another default in Plinto first.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId && r.RoleName == group.RoleName).ExecuteDeleteAsync(cancellationToken);
        db.Remove(group);
        await SaveAsync(cancellationToken);
        await db.Set<OrganizationRole>().Where(r => r.OrganizationId == organizationId && r.Name == group.RoleName).ExecuteDeleteAsync(cancellationToken);
        db.Add(AuditEntry.Create(time, organizationId, actor, "scim.group.deleted", group.Id, new { group.DisplayName }));
        await SaveAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private void ApplyToAttributes(ScimGroup group, ScimPatchOperation operation)
    {
        var resource = new JsonObject { ["schemas"] = new JsonArray(ScimSchemaUris.Group), ["displayName"] = group.DisplayName };
        if (group.ExternalId is not null)
        {
            resource["externalId"] = group.ExternalId;
        }

        Patcher.Apply(resource, [operation]);
        var displayName = DisplayNameOf(resource);
        if (displayName != group.DisplayName)
        {
            group.DisplayName = displayName;
            group.NormalizedDisplayName = displayName.ToUpperInvariant();
        }

        group.ExternalId = resource["externalId"]?.GetValue<string>();
    }

    private async Task<(int Added, int Removed)> PatchMembersAsync(ScimGroup group, ScimPatchOperation operation, CancellationToken cancellationToken)
    {
        var path = operation.Path!;
        if (path.SubAttribute is not null || path.Attribute.SubAttribute is not null)
        {
            throw ScimException.BadRequest(ScimErrorType.Mutability, "A member's sub-attributes cannot be changed; add or remove the member.");
        }

        var organizationId = group.OrganizationId;
        var role = group.RoleName;
        switch (operation.Op)
        {
            case ScimPatchOperationType.Remove when path.ValueFilter is not null:
                // members[value eq "id"] (or several, joined by or): delete those rows in SQL.
                var ids = MemberIds(path.ValueFilter);
                return (0, ids is null
                    ? throw ScimException.BadRequest(ScimErrorType.InvalidFilter, "Remove members by value: members[value eq \"id\"].")
                    : await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId && r.RoleName == role && ids.Contains(r.UserId))
                        .ExecuteDeleteAsync(cancellationToken));
            case ScimPatchOperationType.Remove when operation.Value is not null:
                // Microsoft Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]}.
                var removed = 0;
                foreach (var chunk in MemberValues(operation.Value).Chunk(ChunkSize))
                {
                    removed += await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId && r.RoleName == role && chunk.Contains(r.UserId))
                        .ExecuteDeleteAsync(cancellationToken);
                }

                return (0, removed);
            case ScimPatchOperationType.Remove:
                return (0, await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId && r.RoleName == role).ExecuteDeleteAsync(cancellationToken));
            case ScimPatchOperationType.Replace:
                var removedAll = await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId && r.RoleName == role).ExecuteDeleteAsync(cancellationToken);
                return (await AddMembersAsync(group, MemberValues(operation.Value), cancellationToken), removedAll);
            default:
                if (path.ValueFilter is not null)
                {
                    throw ScimException.BadRequest(ScimErrorType.InvalidPath, "Add members with path \"members\" and a value array.");
                }

                return (await AddMembersAsync(group, MemberValues(operation.Value), cancellationToken), 0);
        }
    }

    /// <summary>
    /// Adds the given accounts as holders of the group's role; each must be a SCIM user of this organization. Works in
    /// chunks (SQL Server allows about 2,100 parameters per statement) and saves, so that the next operation of the
    /// same request sees the result.
    /// </summary>
    private async Task<int> AddMembersAsync(ScimGroup group, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var organizationId = group.OrganizationId;
        var role = group.RoleName;
        var added = 0;
        foreach (var chunk in ids.Chunk(ChunkSize))
        {
            var known = await db.Set<ScimUser>().Where(u => u.OrganizationId == organizationId && chunk.Contains(u.UserId)).Select(u => u.UserId).ToListAsync(cancellationToken);
            var unknown = chunk.Except(known).ToList();
            if (unknown.Count > 0)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"Not users of this organization: {string.Join(", ", unknown.Take(5))}{(unknown.Count > 5 ? "…" : string.Empty)}.");
            }

            var present = await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId && r.RoleName == role && chunk.Contains(r.UserId))
                .Select(r => r.UserId).ToListAsync(cancellationToken);
            foreach (var id in chunk.Except(present))
            {
                db.Add(new OrganizationMemberRole { OrganizationId = organizationId, UserId = id, RoleName = role });
                added++;
            }

            await SaveAsync(cancellationToken);
        }

        return added;
    }

    /// <summary>Most ids in one SQL statement.</summary>
    private const int ChunkSize = 500;

    /// <summary>Most members named in one request.</summary>
    private const int MaxMembersPerRequest = 10_000;

    private static List<string> MemberValues(JsonNode? value)
    {
        var items = value is JsonArray array ? array.ToList() : [value];
        if (items.Count > MaxMembersPerRequest)
        {
            throw ScimException.BadRequest(ScimErrorType.TooMany, $"At most {MaxMembersPerRequest} members per request.");
        }

        var ids = new List<string>();
        foreach (var item in items)
        {
            if (item is not JsonObject member || ScimPatchRequest.Property(member, "value") is not JsonValue id || id.GetValueKind() != JsonValueKind.String)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, "Members are objects with a \"value\" (the user's id).");
            }

            ids.Add(id.GetValue<string>());
        }

        return ids.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The ids a filter such as <c>value eq "a" or value eq "b"</c> names; null for other filters.</summary>
    private static List<string>? MemberIds(ScimFilter filter) => filter switch
    {
        ScimComparison { Operator: ScimComparisonOperator.Equal, Value: { } value } c when c.Path.Is("value") && value.GetValueKind() == JsonValueKind.String =>
            [value.GetValue<string>()],
        ScimOr either when MemberIds(either.Left) is { } left && MemberIds(either.Right) is { } right => [.. left, .. right],
        _ => null,
    };

    private static (JsonObject Resource, List<string>? Members) Normalize(JsonNode? body, bool requireSchema)
    {
        if (body is not JsonObject sent)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, "The body must be a Group object.");
        }

        if (requireSchema && (ScimPatchRequest.Property(sent, "schemas") is not JsonArray schemas
            || !schemas.Any(s => s?.GetValueKind() == JsonValueKind.String && s.GetValue<string>().Equals(ScimSchemaUris.Group, StringComparison.OrdinalIgnoreCase))))
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, $"schemas must contain {ScimSchemaUris.Group}.");
        }

        var attributes = new JsonObject();
        List<string>? members = null;
        foreach (var (key, value) in sent)
        {
            if (key.Equals("members", StringComparison.OrdinalIgnoreCase))
            {
                members = value is null ? [] : MemberValues(value);
            }
            else if (key is not ("id" or "meta" or "schemas"))
            {
                attributes[key] = value?.DeepClone();
            }
        }

        var resource = new JsonObject { ["schemas"] = new JsonArray(ScimSchemaUris.Group) };
        Patcher.Apply(resource, [new ScimPatchOperation(ScimPatchOperationType.Replace, null, attributes)]);
        return (resource, members);
    }

    private static string DisplayNameOf(JsonObject resource) =>
        resource["displayName"]?.GetValue<string>() is { Length: > 0 and <= 256 } name && !string.IsNullOrWhiteSpace(name)
            ? name
            : throw ScimException.BadRequest(ScimErrorType.InvalidValue, "displayName is required (at most 256 characters).");

    private async Task RenameAsync(ScimGroup group, string displayName, CancellationToken cancellationToken)
    {
        var normalized = displayName.ToUpperInvariant();
        if (normalized != group.NormalizedDisplayName
            && await db.Set<ScimGroup>().AnyAsync(g => g.OrganizationId == group.OrganizationId && g.NormalizedDisplayName == normalized, cancellationToken))
        {
            throw new ScimException(409, ScimErrorType.Uniqueness, $"A group named '{displayName}' exists in this organization.");
        }

        group.DisplayName = displayName;
        group.NormalizedDisplayName = normalized;
    }

    /// <summary>A role name from the group's name ("Tour Guides" → <c>scim:tour-guides</c>), unique in the organization.</summary>
    private async Task<string> NewRoleNameAsync(string organizationId, string displayName, CancellationToken cancellationToken)
    {
        var slug = new StringBuilder();
        foreach (var c in displayName.ToLowerInvariant())
        {
            slug.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }

        var stem = "scim:" + string.Join('-', slug.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
        stem = stem.Length > 54 ? stem[..54] : stem;
        var name = stem == "scim:" ? "scim:group" : stem;
        for (var i = 2; await db.Set<OrganizationRole>().AnyAsync(r => r.OrganizationId == organizationId && r.Name == name, cancellationToken); i++)
        {
            name = $"{stem}-{i}";
        }

        return name;
    }

    private async Task<List<JsonObject>> ToResourcesAsync(IReadOnlyList<ScimGroup> groups, bool withMembers, string baseUrl, CancellationToken cancellationToken)
    {
        if (groups.Count == 0)
        {
            return [];
        }

        var organizationId = groups[0].OrganizationId;
        var roles = groups.Select(g => g.RoleName).ToList();
        var members = withMembers
            ? await db.Set<OrganizationMemberRole>().AsNoTracking()
                .Where(r => r.OrganizationId == organizationId && roles.Contains(r.RoleName))
                .Join(db.Set<ScimUser>().Where(u => u.OrganizationId == organizationId), r => r.UserId, u => u.UserId, (r, u) => new { r.RoleName, u.UserId, u.UserName })
                .ToListAsync(cancellationToken)
            : [];
        return groups.Select(group =>
        {
            var resource = new JsonObject
            {
                ["schemas"] = new JsonArray(ScimSchemaUris.Group),
                ["id"] = group.Id,
            };
            if (group.ExternalId is not null)
            {
                resource["externalId"] = group.ExternalId;
            }

            resource["displayName"] = group.DisplayName;
            if (withMembers)
            {
                resource["members"] = new JsonArray([.. members.Where(m => m.RoleName == group.RoleName).OrderBy(m => m.UserName).Select(m => (JsonNode)new JsonObject
                {
                    ["value"] = m.UserId, ["$ref"] = $"{baseUrl}/Users/{m.UserId}", ["display"] = m.UserName, ["type"] = "User",
                })]);
            }

            resource["meta"] = ScimUsers.Meta("Group", group.CreatedAt, group.ModifiedAt, $"{baseUrl}/Groups/{group.Id}", group.Version);
            return resource;
        }).ToList();
    }

    private void Touch(ScimGroup group)
    {
        group.ModifiedAt = Now;
        group.Version = ScimUsers.NewVersion();
    }

    private async Task<ScimGroup> FindAsync(string organizationId, string id, bool track, CancellationToken cancellationToken)
    {
        var query = db.Set<ScimGroup>().Where(g => g.OrganizationId == organizationId && g.Id == id);
        return await (track ? query : query.AsNoTracking()).SingleOrDefaultAsync(cancellationToken) ?? throw ScimUsers.NotFound();
    }

    private Task SaveAsync(CancellationToken cancellationToken) => ScimUsers.SaveAsync(db, cancellationToken);

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
