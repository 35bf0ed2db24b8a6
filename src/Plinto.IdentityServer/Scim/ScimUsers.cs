using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Organizations;
using Plinto.Scim;

namespace Plinto.IdentityServer.Scim;

/// <summary>
/// SCIM Users of one organization, written through the same Identity store as every other account (RFC 7644 §3).
/// The account's e-mail address is the primary (or first) of <c>emails</c>, or <c>userName</c> when that is an
/// address, and it must be on a domain this organization has verified: an identity provider provisions its own
/// people, never an address it does not control. An address that already has an account links to it (one person,
/// several organizations). The account itself (password, profile, address, lock, deletion) is managed here only
/// while this organization created it, still holds its domain, and is the only organization it belongs to.
/// </summary>
internal sealed partial class ScimUsers(
    PlintoDbContext db,
    UserManager<PlintoUser> users,
    UserSessions sessions,
    IOpenIddictTokenManager tokens,
    TimeProvider time,
    ILogger<ScimUsers> logger)
{
    public const int MaxPageSize = 200;

    private static readonly ScimPatcher Patcher = new(ScimSchemas.User, ScimSchemas.EnterpriseUser);

    /// <summary>Attributes kept in columns or rows, or computed: never stored in the attributes document.</summary>
    private static readonly string[] NotStored = ["id", "meta", "schemas", "password", "groups"];

    /// <summary>Largest stored attributes document, and most values in one multi-valued attribute.</summary>
    private const int MaxDocumentLength = 32 * 1024;
    private const int MaxValuesPerAttribute = 20;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<JsonObject> GetAsync(string organizationId, string id, string baseUrl, CancellationToken cancellationToken)
    {
        var row = await FindAsync(organizationId, id, track: false, cancellationToken);
        return (await ToResourcesAsync([row], baseUrl, cancellationToken))[0];
    }

    public async Task<(int Total, IReadOnlyList<JsonObject> Resources)> ListAsync(
        string organizationId, string? filter, int startIndex, int count, string? sortBy, bool descending, string baseUrl, CancellationToken cancellationToken)
    {
        var query = db.Set<ScimUser>().AsNoTracking().Where(u => u.OrganizationId == organizationId);
        if (!string.IsNullOrWhiteSpace(filter))
        {
            query = query.Where(ScimQuery.Users(ScimFilterParser.Parse(filter)));
        }

        var total = await query.CountAsync(cancellationToken);
        query = (sortBy?.ToLowerInvariant(), descending) switch
        {
            (null or "username", false) => query.OrderBy(u => u.NormalizedUserName),
            (null or "username", true) => query.OrderByDescending(u => u.NormalizedUserName),
            ("displayname", false) => query.OrderBy(u => u.DisplayName).ThenBy(u => u.NormalizedUserName),
            ("displayname", true) => query.OrderByDescending(u => u.DisplayName).ThenBy(u => u.NormalizedUserName),
            ("name.familyname", false) => query.OrderBy(u => u.FamilyName).ThenBy(u => u.NormalizedUserName),
            ("name.familyname", true) => query.OrderByDescending(u => u.FamilyName).ThenBy(u => u.NormalizedUserName),
            ("meta.created", false) => query.OrderBy(u => u.CreatedAt).ThenBy(u => u.NormalizedUserName),
            ("meta.created", true) => query.OrderByDescending(u => u.CreatedAt).ThenBy(u => u.NormalizedUserName),
            ("meta.lastmodified", false) => query.OrderBy(u => u.ModifiedAt).ThenBy(u => u.NormalizedUserName),
            ("meta.lastmodified", true) => query.OrderByDescending(u => u.ModifiedAt).ThenBy(u => u.NormalizedUserName),
            _ => throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"sortBy '{sortBy}' is not supported (userName, displayName, name.familyName, meta.created, meta.lastModified)."),
        };
        var rows = count == 0 ? [] : await query.Skip(startIndex - 1).Take(count).ToListAsync(cancellationToken);
        return (total, await ToResourcesAsync(rows, baseUrl, cancellationToken));
    }

    public async Task<JsonObject> CreateAsync(string organizationId, JsonNode? body, string actor, string baseUrl, CancellationToken cancellationToken)
    {
        var (resource, password) = Normalize(body, requireSchema: true);
        var userName = UserNameOf(resource);
        var email = AccountEmail(resource, userName);
        var normalizedUserName = userName.ToUpperInvariant();
        if (await db.Set<ScimUser>().AnyAsync(u => u.OrganizationId == organizationId && u.NormalizedUserName == normalizedUserName, cancellationToken))
        {
            throw new ScimException(409, ScimErrorType.Uniqueness, $"userName '{userName}' is already provisioned in this organization.");
        }

        // Decided before looking at accounts, so the answer never tells whether an address has one.
        await RequireVerifiedDomainAsync(organizationId, email, cancellationToken);
        var organization = await db.Set<Organization>().SingleAsync(o => o.Id == organizationId, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var account = await users.FindByEmailAsync(email);
        if (account is not null && !DomainVerification.SameAddress(account.Email, email))
        {
            // Identity's normalization (upper case) makes look-alike domains collide: never link across them.
            throw new ScimException(409, ScimErrorType.Uniqueness, $"userName or e-mail '{email}' is already in use.");
        }

        var created = account is null;
        if (account is null)
        {
            account = new PlintoUser
            {
                UserName = email,
                Email = email,
                // The organization controls the domain (verified), so it vouches for the address.
                EmailConfirmed = true,
                CreatedAt = time.GetUtcNow(),
            };
            ApplyProfile(account, resource);
            var result = password is null ? await users.CreateAsync(account) : await users.CreateAsync(account, password);
            if (!result.Succeeded)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, string.Join(" ", result.Errors.Select(e => e.Description)));
            }
        }
        else if (await db.Set<ScimUser>().AnyAsync(u => u.OrganizationId == organizationId && u.UserId == account.Id, cancellationToken))
        {
            throw new ScimException(409, ScimErrorType.Uniqueness, $"The account for {email} is already provisioned in this organization.");
        }
        else if (password is not null)
        {
            throw ScimException.BadRequest(ScimErrorType.Mutability,
                "This address already has an account; its password is its owner's to change (send the user without a password).");
        }

        if (!await db.Set<OrganizationMember>().AnyAsync(m => m.OrganizationId == organizationId && m.UserId == account.Id, cancellationToken))
        {
            db.Add(new OrganizationMember
            {
                OrganizationId = organizationId,
                UserId = account.Id,
                JoinedAt = Now,
                Roles = [new OrganizationMemberRole { OrganizationId = organizationId, UserId = account.Id, RoleName = organization.DefaultRole }],
            });
        }

        var row = new ScimUser { OrganizationId = organizationId, UserId = account.Id, CreatedAccount = created, CreatedAt = Now };
        Store(row, resource, userName);
        db.Add(row);
        db.Add(AuditEntry.Create(time, organizationId, actor, "scim.user.created", account.Id, new { userName, createdAccount = created }));
        await SaveAsync(cancellationToken);
        if (!row.Active)
        {
            await DeactivateAsync(row, account, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (await ToResourcesAsync([row], baseUrl, cancellationToken))[0];
    }

    /// <summary>PUT: the resource becomes exactly what was sent (RFC 7644 §3.5.1).</summary>
    public async Task<JsonObject> ReplaceAsync(
        string organizationId, string id, JsonNode? body, string? ifMatch, string actor, string baseUrl, CancellationToken cancellationToken)
    {
        var row = await FindAsync(organizationId, id, track: true, cancellationToken);
        CheckVersion(row.Version, ifMatch);
        var (resource, password) = Normalize(body, requireSchema: false);
        return await UpdateAsync(row, resource, password, actor, "scim.user.replaced", baseUrl, cancellationToken);
    }

    /// <summary>PATCH (RFC 7644 §3.5.2), in the RFC's and the Entra and Okta dialects.</summary>
    public async Task<JsonObject> PatchAsync(
        string organizationId, string id, JsonNode? body, string? ifMatch, string actor, string baseUrl, CancellationToken cancellationToken)
    {
        var operations = ScimPatchRequest.Parse(body);
        var row = await FindAsync(organizationId, id, track: true, cancellationToken);
        CheckVersion(row.Version, ifMatch);
        var resource = Document(row);
        Patcher.Apply(resource, operations);
        var password = resource["password"]?.GetValue<string>();
        resource.Remove("password");
        return await UpdateAsync(row, resource, password, actor, "scim.user.patched", baseUrl, cancellationToken);
    }

    /// <summary>DELETE: removes the user from the organization, or deactivates them (organization policy).</summary>
    public async Task DeleteAsync(string organizationId, string id, string? ifMatch, string actor, CancellationToken cancellationToken)
    {
        var row = await FindAsync(organizationId, id, track: true, cancellationToken);
        CheckVersion(row.Version, ifMatch);
        var organization = await db.Set<Organization>().SingleAsync(o => o.Id == organizationId, cancellationToken);
        var account = await users.FindByIdAsync(row.UserId) ?? throw NotFound();
        await RefuseOwnerAsync(row, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (organization.ScimDeleteDeactivates)
        {
            var wasActive = row.Active;
            row.Active = false;
            row.ModifiedAt = Now;
            row.Version = NewVersion();
            db.Add(AuditEntry.Create(time, organizationId, actor, "scim.user.deleted", row.UserId, new { outcome = "deactivated" }));
            await SaveAsync(cancellationToken);
            if (wasActive)
            {
                await DeactivateAsync(row, account, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return;
        }

        await OrganizationAdministration.RevokeGrantsAsync(db, organizationId, row.UserId, cancellationToken);
        await db.Set<OrganizationMemberRole>().Where(r => r.OrganizationId == organizationId && r.UserId == row.UserId).ExecuteDeleteAsync(cancellationToken);
        await db.Set<OrganizationMember>().Where(m => m.OrganizationId == organizationId && m.UserId == row.UserId).ExecuteDeleteAsync(cancellationToken);
        db.Remove(row);
        var deleteAccount = await ManagesAccountAsync(row, account, cancellationToken);
        db.Add(AuditEntry.Create(time, organizationId, actor, "scim.user.deleted", row.UserId, new { outcome = deleteAccount ? "account deleted" : "removed" }));
        await SaveAsync(cancellationToken);
        if (deleteAccount)
        {
            // Created by this provisioning and in no other organization: nothing else owns the account. Its sessions and
            // tokens end first: the session rows go with the account, but the nodes that checked a session still hold
            // its state until they are told, and token rows name their subject without a key to the account.
            await sessions.RevokeAllAsync(account.Id, keep: null);
            await tokens.RevokeBySubjectAsync(account.Id, cancellationToken);
            var deleted = await users.DeleteAsync(account);
            if (!deleted.Succeeded)
            {
                throw new InvalidOperationException("The account could not be deleted: " + string.Join(" ", deleted.Errors.Select(e => e.Code)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<JsonObject> UpdateAsync(
        ScimUser row, JsonObject resource, string? password, string actor, string action, string baseUrl, CancellationToken cancellationToken)
    {
        var userName = UserNameOf(resource);
        var normalized = userName.ToUpperInvariant();
        if (normalized != row.NormalizedUserName
            && await db.Set<ScimUser>().AnyAsync(u => u.OrganizationId == row.OrganizationId && u.NormalizedUserName == normalized, cancellationToken))
        {
            throw new ScimException(409, ScimErrorType.Uniqueness, $"userName '{userName}' is already provisioned in this organization.");
        }

        var account = await users.FindByIdAsync(row.UserId) ?? throw NotFound();
        var wasActive = row.Active;
        if (wasActive && resource["active"]?.GetValue<bool>() == false)
        {
            await RefuseOwnerAsync(row, cancellationToken);
        }

        var manages = await ManagesAccountAsync(row, account, cancellationToken);
        var email = AccountEmail(resource, userName);
        var newAddress = !string.Equals(account.Email, email, StringComparison.OrdinalIgnoreCase);
        if (manages && newAddress)
        {
            await RequireVerifiedDomainAsync(row.OrganizationId, email, cancellationToken);
            if (await users.FindByEmailAsync(email) is not null)
            {
                throw new ScimException(409, ScimErrorType.Uniqueness, $"userName or e-mail '{email}' is already in use.");
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        row.Emails.Clear(); // orphans: deleted with the save
        Store(row, resource, userName, activeIfAbsent: row.Active);
        row.ModifiedAt = Now;
        if (manages)
        {
            // The profile of an account this organization owns follows its identity provider.
            ApplyProfile(account, resource);
            if (newAddress)
            {
                account.Email = email;
                account.UserName = email;
                account.EmailConfirmed = true; // on a domain the organization verified
            }

            var updated = await users.UpdateAsync(account);
            if (!updated.Succeeded)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, string.Join(" ", updated.Errors.Select(e => e.Description)));
            }

            if (password is not null)
            {
                await SetPasswordAsync(account, password);
            }
        }
        else if (password is not null)
        {
            throw ScimException.BadRequest(ScimErrorType.Mutability,
                "This account is not managed by this organization (it existed before, or belongs to other organizations too); its password is its owner's to change.");
        }

        db.Add(AuditEntry.Create(time, row.OrganizationId, actor, action, row.UserId, new { userName, row.Active, passwordSet = manages && password is not null }));
        await SaveAsync(cancellationToken);
        if (wasActive && !row.Active)
        {
            await DeactivateAsync(row, account, cancellationToken);
        }
        else if (!wasActive && row.Active && manages)
        {
            await users.SetLockoutEndDateAsync(account, null);
        }

        await transaction.CommitAsync(cancellationToken);
        return (await ToResourcesAsync([row], baseUrl, cancellationToken))[0];
    }

    /// <summary>
    /// active=false: the tokens issued for this organization are revoked at once and it issues no more. An account this
    /// provisioning created is also locked and every session and token of it ends (RFC 7643 §4.1.1 "active").
    /// </summary>
    private async Task DeactivateAsync(ScimUser row, PlintoUser account, CancellationToken cancellationToken)
    {
        await OrganizationAdministration.RevokeGrantsAsync(db, row.OrganizationId, row.UserId, cancellationToken);
        if (await ManagesAccountAsync(row, account, cancellationToken))
        {
            await users.DeactivateAsync(account);
            await users.UpdateSecurityStampAsync(account);
            await sessions.RevokeAllAsync(account.Id, keep: null);
            await tokens.RevokeBySubjectAsync(account.Id, cancellationToken);
        }

        LogDeactivated(logger, row.OrganizationId, row.CreatedAccount);
    }

    /// <summary>
    /// Whether this organization may act on the account itself (password, profile, address, lock, deletion): it
    /// created the account, the address is still on a domain it has verified, and no other organization has the
    /// person. Otherwise it manages only its own membership (RFC 7644 leaves the mapping to the service provider).
    /// </summary>
    private async Task<bool> ManagesAccountAsync(ScimUser row, PlintoUser account, CancellationToken cancellationToken) =>
        row.CreatedAccount
        && account.Email is { } email && await IsVerifiedDomainAsync(row.OrganizationId, email, cancellationToken)
        && !await db.Set<OrganizationMember>().AnyAsync(m => m.UserId == row.UserId && m.OrganizationId != row.OrganizationId, cancellationToken);

    /// <summary>Owners are removed or deactivated in Plinto, by another owner — never by provisioning.</summary>
    private async Task RefuseOwnerAsync(ScimUser row, CancellationToken cancellationToken)
    {
        if (await db.Set<OrganizationMemberRole>().AnyAsync(
                r => r.OrganizationId == row.OrganizationId && r.UserId == row.UserId && r.RoleName == OrganizationRoles.Owner, cancellationToken))
        {
            throw ScimException.BadRequest(ScimErrorType.Mutability, "This user is an owner of the organization; owners are removed or deactivated in Plinto, not by provisioning.");
        }
    }

    private async Task RequireVerifiedDomainAsync(string organizationId, string email, CancellationToken cancellationToken)
    {
        if (!await IsVerifiedDomainAsync(organizationId, email, cancellationToken))
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidValue,
                $"{DomainVerification.OfEmail(email)} is not a verified domain of this organization: verify it first (Domains), then provision its people.");
        }
    }

    private async Task SetPasswordAsync(PlintoUser account, string password)
    {
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, account, password);
            if (!check.Succeeded)
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, string.Join(" ", check.Errors.Select(e => e.Description)));
            }
        }

        await users.RemovePasswordAsync(account);
        var added = await users.AddPasswordAsync(account, password);
        if (!added.Succeeded)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidValue, string.Join(" ", added.Errors.Select(e => e.Description)));
        }

        // A new password ends the sessions and grants made with the old one.
        await users.UpdateSecurityStampAsync(account);
        await sessions.RevokeAllAsync(account.Id, keep: null);
    }

    /// <summary>Checks and types a User body with the schema; returns it without the write-only password, and the password.</summary>
    private static (JsonObject Resource, string? Password) Normalize(JsonNode? body, bool requireSchema)
    {
        if (body is not JsonObject sent)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, "The body must be a User object.");
        }

        if (requireSchema && (ScimPatchRequest.Property(sent, "schemas") is not JsonArray schemas
            || !schemas.Any(s => s?.GetValueKind() == JsonValueKind.String && s.GetValue<string>().Equals(ScimSchemaUris.User, StringComparison.OrdinalIgnoreCase))))
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidSyntax, $"schemas must contain {ScimSchemaUris.User}.");
        }

        var attributes = new JsonObject();
        foreach (var (key, value) in sent)
        {
            // Read-only and computed attributes a client echoes back are ignored (RFC 7644 §3.5.1).
            if (!NotStored.Contains(key, StringComparer.OrdinalIgnoreCase) || key.Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                attributes[key] = value?.DeepClone();
            }
        }

        var resource = new JsonObject { ["schemas"] = new JsonArray(ScimSchemaUris.User) };
        Patcher.Apply(resource, [new ScimPatchOperation(ScimPatchOperationType.Replace, null, attributes)]);
        var password = resource["password"]?.GetValue<string>();
        resource.Remove("password");
        return (resource, password);
    }

    private static string UserNameOf(JsonObject resource) =>
        resource["userName"]?.GetValue<string>() is { Length: > 0 and <= 256 } userName && !string.IsNullOrWhiteSpace(userName)
            ? userName
            : throw ScimException.BadRequest(ScimErrorType.InvalidValue, "userName is required (at most 256 characters).");

    /// <summary>The account's address: the primary e-mail, else the first, else userName when it is an address.</summary>
    private static string AccountEmail(JsonObject resource, string userName)
    {
        var emails = (resource["emails"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var chosen = emails.FirstOrDefault(e => e["primary"]?.GetValue<bool>() == true) ?? emails.FirstOrDefault();
        var address = chosen?["value"]?.GetValue<string>() ?? userName;
        return System.Net.Mail.MailAddress.TryCreate(address, out var parsed) && parsed.Address == address && address.Length <= 256
            ? address
            : throw ScimException.BadRequest(ScimErrorType.InvalidValue, "Plinto accounts need an e-mail address: send emails, or a userName that is one.");
    }

    private static void ApplyProfile(PlintoUser account, JsonObject resource)
    {
        account.GivenName = resource["name"]?["givenName"]?.GetValue<string>();
        account.FamilyName = resource["name"]?["familyName"]?.GetValue<string>();
        account.Name = resource["displayName"]?.GetValue<string>() ?? resource["name"]?["formatted"]?.GetValue<string>()
            ?? (account.GivenName is null && account.FamilyName is null ? null : $"{account.GivenName} {account.FamilyName}".Trim());
    }

    private static void Store(ScimUser row, JsonObject resource, string userName, bool activeIfAbsent = true)
    {
        row.UserName = userName;
        row.NormalizedUserName = userName.ToUpperInvariant();
        row.ExternalId = Bounded(resource["externalId"]?.GetValue<string>(), "externalId");
        // PUT without "active" keeps the current state (a replace must not reactivate someone by omission).
        row.Active = resource["active"]?.GetValue<bool>() ?? activeIfAbsent;
        row.DisplayName = Bounded(resource["displayName"]?.GetValue<string>(), "displayName");
        row.GivenName = Bounded(resource["name"]?["givenName"]?.GetValue<string>(), "name.givenName");
        row.FamilyName = Bounded(resource["name"]?["familyName"]?.GetValue<string>(), "name.familyName");
        foreach (var (key, value) in resource)
        {
            if (value is JsonArray { Count: > MaxValuesPerAttribute })
            {
                throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{key} has more than {MaxValuesPerAttribute} values.");
            }
        }

        row.Version = NewVersion();
        foreach (var email in (resource["emails"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (email["value"]?.GetValue<string>() is { Length: > 0 and <= 256 } value)
            {
                row.Emails.Add(new ScimUserEmail
                {
                    OrganizationId = row.OrganizationId,
                    UserId = row.UserId,
                    Value = value,
                    NormalizedValue = value.ToUpperInvariant(),
                    Type = email["type"]?.GetValue<string>() is { Length: <= 32 } type ? type : null,
                    Primary = email["primary"]?.GetValue<bool>() == true,
                });
            }
        }

        var document = resource.DeepClone().AsObject();
        foreach (var key in document.Select(p => p.Key).Where(k => NotStored.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList())
        {
            document.Remove(key);
        }

        row.Attributes = document.ToJsonString();
        if (row.Attributes.Length > MaxDocumentLength)
        {
            throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"The user's attributes exceed {MaxDocumentLength / 1024} KiB.");
        }
    }

    private static string? Bounded(string? value, string name) =>
        value is { Length: > 256 } ? throw ScimException.BadRequest(ScimErrorType.InvalidValue, $"{name} is longer than 256 characters.") : value;

    /// <summary>The stored resource, as a document PATCH can work on.</summary>
    private static JsonObject Document(ScimUser row)
    {
        var resource = JsonNode.Parse(row.Attributes)!.AsObject();
        resource["schemas"] = new JsonArray(ScimSchemaUris.User);
        if (resource.ContainsKey(ScimSchemaUris.EnterpriseUser))
        {
            resource["schemas"]!.AsArray().Add(ScimSchemaUris.EnterpriseUser);
        }

        return resource;
    }

    private async Task<List<JsonObject>> ToResourcesAsync(IReadOnlyList<ScimUser> rows, string baseUrl, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var organizationId = rows[0].OrganizationId;
        var ids = rows.Select(r => r.UserId).ToList();
        var groups = await db.Set<ScimGroup>().AsNoTracking()
            .Where(g => g.OrganizationId == organizationId)
            .Join(db.Set<OrganizationMemberRole>().Where(m => m.OrganizationId == organizationId && ids.Contains(m.UserId)),
                g => g.RoleName, m => m.RoleName, (g, m) => new { m.UserId, g.Id, g.DisplayName })
            .ToListAsync(cancellationToken);
        return rows.Select(row =>
        {
            var resource = Document(row);
            var ordered = new JsonObject
            {
                ["schemas"] = resource["schemas"]!.DeepClone(),
                ["id"] = row.UserId,
            };
            if (row.ExternalId is not null)
            {
                ordered["externalId"] = row.ExternalId;
            }

            ordered["userName"] = row.UserName;
            ordered["active"] = row.Active;
            foreach (var (key, value) in resource.Where(p => p.Key is not ("schemas" or "userName" or "externalId" or "active")))
            {
                ordered[key] = value?.DeepClone();
            }

            var memberOf = groups.Where(g => g.UserId == row.UserId).ToList();
            if (memberOf.Count > 0)
            {
                ordered["groups"] = new JsonArray([.. memberOf.Select(g => (JsonNode)new JsonObject
                {
                    ["value"] = g.Id, ["$ref"] = $"{baseUrl}/Groups/{g.Id}", ["display"] = g.DisplayName, ["type"] = "direct",
                })]);
            }

            ordered["meta"] = Meta("User", row.CreatedAt, row.ModifiedAt, $"{baseUrl}/Users/{row.UserId}", row.Version);
            return ordered;
        }).ToList();
    }

    internal static JsonObject Meta(string type, long created, long modified, string location, string version) => new()
    {
        ["resourceType"] = type,
        ["created"] = DateTimeOffset.FromUnixTimeMilliseconds(created).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        ["lastModified"] = DateTimeOffset.FromUnixTimeMilliseconds(modified).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        ["location"] = location,
        ["version"] = ETag(version),
    };

    /// <summary>RFC 7644 §3.14: weak entity tags.</summary>
    internal static string ETag(string version) => $"W/\"{version}\"";

    internal static void CheckVersion(string version, string? ifMatch)
    {
        if (ifMatch is not null && ifMatch.Trim() != "*" && !ifMatch.Split(',').Select(t => t.Trim()).Contains(ETag(version)))
        {
            throw new ScimException(412, null, "The resource changed since it was read (If-Match does not match its version).");
        }
    }

    internal static string NewVersion() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    internal static ScimException NotFound() => new(404, null, "No such resource in this organization.");

    private async Task<ScimUser> FindAsync(string organizationId, string id, bool track, CancellationToken cancellationToken)
    {
        var query = db.Set<ScimUser>().Where(u => u.OrganizationId == organizationId && u.UserId == id);
        // Responses are built from the stored attributes; only a replace or patch rewrites the e-mail rows.
        return await (track ? query.Include(u => u.Emails) : query.AsNoTracking()).SingleOrDefaultAsync(cancellationToken) ?? throw NotFound();
    }

    private async Task<bool> IsVerifiedDomainAsync(string organizationId, string email, CancellationToken cancellationToken) =>
        DomainVerification.OfEmail(email) is { } domain
        && await db.Set<OrganizationDomain>().AnyAsync(d => d.OrganizationId == organizationId && d.Name == domain && d.VerifiedAt != null, cancellationToken);

    private Task SaveAsync(CancellationToken cancellationToken) => SaveAsync(db, cancellationToken);

    /// <summary>Saves; a lost race becomes 412, a unique index 409 (both as SCIM errors). Shared with <see cref="ScimGroups"/>.</summary>
    internal static async Task SaveAsync(PlintoDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ScimException(412, null, "The resource changed at the same time; read it again.");
        }
        catch (DbUpdateException)
        {
            throw new ScimException(409, ScimErrorType.Uniqueness, "A value that must be unique is already in use.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SCIM deactivated a user of organization {OrganizationId} (whole account: {WholeAccount}).")]
    private static partial void LogDeactivated(ILogger logger, string organizationId, bool wholeAccount);
}
