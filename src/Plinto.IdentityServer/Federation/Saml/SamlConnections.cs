using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Audit;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Organizations;
using Plinto.Saml2;

namespace Plinto.IdentityServer.Federation.Saml;

internal sealed record SamlConnectionView(
    string Id, string Name, bool Enabled, string IdpEntityId, string IdpSsoUrl, IReadOnlyList<string> CertificateThumbprints,
    DateTimeOffset? CertificatesExpireAt, string? MetadataUrl, string ServiceProviderEntityId, string AssertionConsumerServiceUrl, string MetadataLocation,
    SamlConnectionSettings Settings);

/// <summary>What an organization sets on a connection (null: unchanged on update; the defaults on create).</summary>
internal sealed record SamlConnectionSettings(
    string? Name = null,
    bool? Enabled = null,
    string? NameIdFormat = null,
    bool? RequireSignedResponse = null,
    bool? RequireSignedAssertion = null,
    int? ClockSkewSeconds = null,
    bool? AllowIdpInitiated = null,
    string? IdpInitiatedClientId = null,
    string? EmailAttribute = null,
    string? GivenNameAttribute = null,
    string? FamilyNameAttribute = null,
    string? GroupsAttribute = null,
    IReadOnlyDictionary<string, string>? GroupRoles = null);

/// <summary>A connection to create: the IdP's metadata (XML, or an https URL to fetch it from) and the settings.</summary>
internal sealed record SamlConnectionRequest(string? MetadataXml, string? MetadataUrl, SamlConnectionSettings? Settings);

/// <summary>SAML connections of organizations (<c>org:sso:manage</c>): created from IdP metadata, changed, deleted.</summary>
internal sealed class SamlConnections(
    PlintoDbContext db, OrganizationAdministration organizations, IHttpClientFactory http, TimeProvider time)
{
    public const string MetadataClient = "plinto-saml-metadata";
    private const int MaxMetadataBytes = 2 * 1024 * 1024;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<OrganizationResult<IReadOnlyList<SamlConnectionView>>> ListAsync(
        OrganizationActor actor, string organizationId, string origin, CancellationToken cancellationToken)
    {
        var access = await organizations.AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageSso, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var rows = await db.Set<SamlConnection>().AsNoTracking().Where(c => c.OrganizationId == organizationId).OrderBy(c => c.Name).ToListAsync(cancellationToken);
        return rows.Select(c => View(c, origin)).ToList();
    }

    public async Task<OrganizationResult<SamlConnectionView>> GetAsync(
        OrganizationActor actor, string organizationId, string connectionId, string origin, CancellationToken cancellationToken)
    {
        var access = await organizations.AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageSso, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        return await db.Set<SamlConnection>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == connectionId && c.OrganizationId == organizationId, cancellationToken)
            is { } connection
            ? View(connection, origin)
            : new OrganizationFailure(OrganizationError.NotFound, "No such SAML connection in this organization.");
    }

    public async Task<OrganizationResult<SamlConnectionView>> CreateAsync(
        OrganizationActor actor, string organizationId, SamlConnectionRequest request, string origin, CancellationToken cancellationToken)
    {
        var access = await organizations.AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageSso, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var metadata = await ReadMetadataAsync(request.MetadataXml, request.MetadataUrl, cancellationToken);
        if (!metadata.Succeeded)
        {
            return new OrganizationFailure(metadata.Error!.Value, metadata.Message!);
        }

        var connection = new SamlConnection
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString(),
            OrganizationId = organizationId,
            MetadataUrl = request.MetadataUrl,
            CreatedAt = Now,
        };
        Apply(connection, metadata.Value!);
        if (Settle(connection, request.Settings ?? new SamlConnectionSettings(Name: metadata.Value!.EntityId)) is { } invalid)
        {
            return invalid;
        }

        if (await InvalidRolesAsync(connection, cancellationToken) is { } roles)
        {
            return roles;
        }

        db.Add(connection);
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "saml.connection.created", connection.Id, new { connection.Name, connection.IdpEntityId }));
        await db.SaveChangesAsync(cancellationToken);
        return View(connection, origin);
    }

    public async Task<OrganizationResult<SamlConnectionView>> UpdateAsync(
        OrganizationActor actor, string organizationId, string connectionId, SamlConnectionRequest request, string origin, CancellationToken cancellationToken)
    {
        var access = await organizations.AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageSso, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var connection = await db.Set<SamlConnection>().SingleOrDefaultAsync(c => c.Id == connectionId && c.OrganizationId == organizationId, cancellationToken);
        if (connection is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No such SAML connection in this organization.");
        }

        if (request.MetadataXml is not null || request.MetadataUrl is not null)
        {
            var metadata = await ReadMetadataAsync(request.MetadataXml, request.MetadataUrl, cancellationToken);
            if (!metadata.Succeeded)
            {
                return new OrganizationFailure(metadata.Error!.Value, metadata.Message!);
            }

            Apply(connection, metadata.Value!);
            connection.MetadataUrl = request.MetadataUrl;
        }

        if (request.Settings is not null && Settle(connection, request.Settings) is { } invalid)
        {
            return invalid;
        }

        if (await InvalidRolesAsync(connection, cancellationToken) is { } roles)
        {
            return roles;
        }

        connection.ModifiedAt = Now;
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "saml.connection.updated", connection.Id, new { connection.Name, connection.Enabled }));
        await db.SaveChangesAsync(cancellationToken);
        return View(connection, origin);
    }

    public async Task<OrganizationResult<bool>> DeleteAsync(OrganizationActor actor, string organizationId, string connectionId, CancellationToken cancellationToken)
    {
        var access = await organizations.AuthorizeAsync(actor, organizationId, OrganizationRoles.Permissions.ManageSso, cancellationToken);
        if (access.Organization is null)
        {
            return access.Failure!;
        }

        var connection = await db.Set<SamlConnection>().SingleOrDefaultAsync(c => c.Id == connectionId && c.OrganizationId == organizationId, cancellationToken);
        if (connection is null)
        {
            return new OrganizationFailure(OrganizationError.NotFound, "No such SAML connection in this organization.");
        }

        db.Remove(connection);
        db.Add(AuditEntry.Create(time, organizationId, actor.Id, "saml.connection.deleted", connection.Id, new { connection.Name }));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Home-realm discovery: the enabled connection of the organization that verified this address's domain, if any
    /// (a domain is verified by one organization at most).
    /// </summary>
    public async Task<string?> FindForEmailAsync(string? email, CancellationToken cancellationToken)
    {
        if (DomainVerification.OfEmail(email) is not { } domain)
        {
            return null;
        }

        return await db.Set<SamlConnection>().AsNoTracking()
            .Where(c => c.Enabled && db.Set<OrganizationDomain>().Any(d => d.OrganizationId == c.OrganizationId && d.Name == domain && d.VerifiedAt != null))
            .OrderBy(c => c.CreatedAt)
            .Select(c => c.Id)
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// Fetches a connection's metadata URL again and takes its certificates and SSO URL (the job's work). Metadata that
    /// names another entity is not applied: the connection's IdP never changes behind the organization's back.
    /// </summary>
    public async Task<string> RefreshAsync(SamlConnection connection, CancellationToken cancellationToken)
    {
        var metadata = await ReadMetadataAsync(null, connection.MetadataUrl, cancellationToken);
        if (!metadata.Succeeded)
        {
            return metadata.Message!;
        }

        if (metadata.Value!.EntityId != connection.IdpEntityId)
        {
            return "the metadata now names another entity ID; not applied";
        }

        Apply(connection, metadata.Value);
        connection.ModifiedAt = Now;
        await db.SaveChangesAsync(cancellationToken);
        return "refreshed";
    }

    /// <summary>True when the enabled connection belongs to the organization with this slug.</summary>
    public async Task<bool> BelongsToAsync(string connectionId, string slug, CancellationToken cancellationToken) =>
        await db.Set<SamlConnection>().AnyAsync(c => c.Id == connectionId && c.Enabled
            && db.Set<Organization>().Any(o => o.Id == c.OrganizationId && o.Slug == slug), cancellationToken);

    public static string ServiceProviderEntityId(string origin, string connectionId) => $"{origin}/saml2/{connectionId}";

    public static string AssertionConsumerServiceUrl(string origin, string connectionId) => $"{origin}/saml2/{connectionId}/acs";

    public static IReadOnlyList<X509Certificate2> Certificates(SamlConnection connection) =>
        connection.IdpCertificates.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => X509CertificateLoader.LoadCertificate(Convert.FromBase64String(c))).ToList();

    private async Task<OrganizationResult<Saml2IdentityProviderMetadata>> ReadMetadataAsync(string? xml, string? url, CancellationToken cancellationToken)
    {
        if (xml is null && url is not null)
        {
            // https (http only on loopback, for an IdP on the same machine): metadata decides which keys are trusted.
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback)))
            {
                return new OrganizationFailure(OrganizationError.Invalid, "metadataUrl must be an https URL.");
            }

            try
            {
                using var client = http.CreateClient(MetadataClient);
                using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (!response.IsSuccessStatusCode || response.Content.Headers.ContentLength > MaxMetadataBytes)
                {
                    return new OrganizationFailure(OrganizationError.Invalid, "The metadata URL could not be fetched.");
                }

                xml = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException)
            {
                return new OrganizationFailure(OrganizationError.Invalid, "The metadata URL could not be fetched.");
            }
        }

        if (string.IsNullOrWhiteSpace(xml))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "metadataXml or metadataUrl is required (the IdP's SAML metadata).");
        }

        try
        {
            var metadata = Saml2Metadata.ReadIdentityProvider(xml);
            return metadata.SingleSignOnServices.ContainsKey(Saml2Bindings.HttpRedirect)
                ? metadata
                : new OrganizationFailure(OrganizationError.Invalid, "The IdP offers no HTTP-Redirect SingleSignOnService.");
        }
        catch (Saml2ValidationException error)
        {
            return new OrganizationFailure(OrganizationError.Invalid, "The metadata cannot be used: " + error.Message);
        }
    }

    private static void Apply(SamlConnection connection, Saml2IdentityProviderMetadata metadata)
    {
        connection.IdpEntityId = metadata.EntityId;
        connection.IdpSsoUrl = metadata.SingleSignOnServices[Saml2Bindings.HttpRedirect];
        connection.IdpCertificates = string.Join('\n', metadata.SigningCertificates.Select(c => Convert.ToBase64String(c.RawData)));
        connection.CertificatesExpireAt = metadata.SigningCertificates.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime())).ToUnixTimeMilliseconds();
    }

    private static OrganizationFailure? Settle(SamlConnection connection, SamlConnectionSettings settings)
    {
        if (settings.Name is { } name && (string.IsNullOrWhiteSpace(name) || name.Length > 100))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "name is 1 to 100 characters.");
        }

        if (settings.ClockSkewSeconds is < 0 or > 600)
        {
            return new OrganizationFailure(OrganizationError.Invalid, "clockSkewSeconds is between 0 and 600.");
        }

        connection.Name = settings.Name?.Trim() ?? (connection.Name.Length > 0 ? connection.Name : connection.IdpEntityId[..Math.Min(100, connection.IdpEntityId.Length)]);
        connection.Enabled = settings.Enabled ?? connection.Enabled;
        connection.NameIdFormat = settings.NameIdFormat ?? connection.NameIdFormat;
        connection.RequireSignedResponse = settings.RequireSignedResponse ?? connection.RequireSignedResponse;
        connection.RequireSignedAssertion = settings.RequireSignedAssertion ?? connection.RequireSignedAssertion;
        connection.ClockSkewSeconds = settings.ClockSkewSeconds ?? connection.ClockSkewSeconds;
        connection.AllowIdpInitiated = settings.AllowIdpInitiated ?? connection.AllowIdpInitiated;
        connection.IdpInitiatedClientId = settings.IdpInitiatedClientId ?? connection.IdpInitiatedClientId;
        connection.EmailAttribute = settings.EmailAttribute ?? connection.EmailAttribute;
        connection.GivenNameAttribute = settings.GivenNameAttribute ?? connection.GivenNameAttribute;
        connection.FamilyNameAttribute = settings.FamilyNameAttribute ?? connection.FamilyNameAttribute;
        connection.GroupsAttribute = settings.GroupsAttribute ?? connection.GroupsAttribute;
        if (settings.GroupRoles is not null)
        {
            connection.GroupRoles = JsonSerializer.Serialize(settings.GroupRoles);
        }

        if (connection.AllowIdpInitiated && string.IsNullOrEmpty(connection.IdpInitiatedClientId))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "IdP-initiated sign-in needs idpInitiatedClientId: the only application people are sent to.");
        }

        return null;
    }

    /// <summary>Mapped groups must name roles of the organization, and never the owner role (ownership is given in Plinto).</summary>
    private async Task<OrganizationFailure?> InvalidRolesAsync(SamlConnection connection, CancellationToken cancellationToken)
    {
        var roles = JsonSerializer.Deserialize<Dictionary<string, string>>(connection.GroupRoles) ?? [];
        if (roles.ContainsValue(OrganizationRoles.Owner))
        {
            return new OrganizationFailure(OrganizationError.Invalid, "A group cannot map to the owner role.");
        }

        var names = roles.Values.Distinct().ToList();
        var known = await db.Set<OrganizationRole>().Where(r => r.OrganizationId == connection.OrganizationId && names.Contains(r.Name)).CountAsync(cancellationToken);
        return known == names.Count ? null : new OrganizationFailure(OrganizationError.Invalid, "groupRoles names a role this organization does not have.");
    }

    private static SamlConnectionView View(SamlConnection c, string origin)
    {
        var certificates = Certificates(c);
        return new SamlConnectionView(
            c.Id, c.Name, c.Enabled, c.IdpEntityId, c.IdpSsoUrl, certificates.Select(x => x.Thumbprint).ToList(),
            c.CertificatesExpireAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, c.MetadataUrl,
            ServiceProviderEntityId(origin, c.Id), AssertionConsumerServiceUrl(origin, c.Id), $"{origin}/saml2/{c.Id}/metadata",
            new SamlConnectionSettings(c.Name, c.Enabled, c.NameIdFormat, c.RequireSignedResponse, c.RequireSignedAssertion, c.ClockSkewSeconds,
                c.AllowIdpInitiated, c.IdpInitiatedClientId, c.EmailAttribute, c.GivenNameAttribute, c.FamilyNameAttribute, c.GroupsAttribute,
                JsonSerializer.Deserialize<Dictionary<string, string>>(c.GroupRoles)));
    }
}
