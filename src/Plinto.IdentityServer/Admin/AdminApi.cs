using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Email;
using Plinto.IdentityServer.Organizations;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Admin;

/// <summary>
/// The JSON admin API for organizations (<c>/api/organizations</c>), described at <c>/openapi/admin.json</c>.
/// Bearer access tokens issued by this server with the <c>plinto-admin</c> audience:
/// <list type="bullet">
/// <item><c>plinto:admin</c>: a platform administrator (a user in the <c>admin</c> role), or a machine client given
/// that scope (client_credentials) — every organization.</item>
/// <item><c>plinto:org:admin</c>: a user token issued for one organization (scope <c>organization</c>) — that
/// organization only, with the permissions the person's roles give there at the time of the call.</item>
/// </list>
/// Errors are RFC 9457 problem details with a stable <c>error</c> code.
/// </summary>
internal static class AdminApi
{
    /// <summary>Audience of admin API access tokens; tokens meant for other APIs are refused here.</summary>
    public const string Audience = "plinto-admin";

    public const string Policy = "plinto-admin-api";

    public const string DocumentName = "admin";

    public static IEndpointRouteBuilder MapPlintoAdminApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.MapGroup("/api/organizations")
            .RequireAuthorization(Policy)
            .DisableAntiforgery()
            .WithTags("Organizations");

        api.MapGet("/", ListAsync).WithSummary("Organizations the caller can see (offset, limit: 100 by default, at most 500)");
        api.MapPost("/", CreateAsync).WithSummary("Create an organization (platform administrators; users when self-service is on)");
        api.MapGet("/{organizationId}", GetAsync).WithSummary("One organization with its policies");
        api.MapPatch("/{organizationId}", UpdateAsync).WithSummary("Change name, slug, logo, colour or policies (org:update)");
        api.MapDelete("/{organizationId}", DeleteAsync).WithSummary("Delete the organization and revoke its tokens (org:delete)");

        api.MapGet("/{organizationId}/members", ListMembersAsync).WithSummary("Members and their roles by e-mail address (org:read; offset, limit)");
        api.MapPost("/{organizationId}/members", AddMemberAsync).WithSummary("Add an existing account (platform administrators)");
        api.MapPut("/{organizationId}/members/{userId}/roles", SetMemberRolesAsync).WithSummary("Replace a member's roles (org:members:manage)");
        api.MapDelete("/{organizationId}/members/{userId}", RemoveMemberAsync)
            .WithSummary("Remove a member (or leave) and revoke their tokens for this organization");

        api.MapGet("/{organizationId}/roles", ListRolesAsync).WithSummary("Built-in and custom roles (org:read)");
        api.MapPut("/{organizationId}/roles/{name}", SaveRoleAsync).WithSummary("Create or replace a custom role (org:roles:manage)");
        api.MapDelete("/{organizationId}/roles/{name}", DeleteRoleAsync).WithSummary("Delete an unused custom role (org:roles:manage)");

        api.MapGet("/{organizationId}/permissions", ListPermissionsAsync).WithSummary("Built-in and custom permissions (org:read)");
        api.MapPost("/{organizationId}/permissions", CreatePermissionAsync).WithSummary("Define a custom permission (org:roles:manage)");
        api.MapDelete("/{organizationId}/permissions/{name}", DeletePermissionAsync).WithSummary("Delete a custom permission (org:roles:manage)");

        api.MapGet("/{organizationId}/invitations", ListInvitationsAsync).WithSummary("Invitations (org:invitations:manage)");
        api.MapPost("/{organizationId}/invitations", InviteAsync).WithSummary("Invite by e-mail; the link goes to the mailbox only (org:invitations:manage)");
        api.MapDelete("/{organizationId}/invitations/{invitationId}", RevokeInvitationAsync).WithSummary("Revoke a pending invitation");

        api.MapGet("/{organizationId}/domains", ListDomainsAsync).WithSummary("Domains and their TXT records (org:domains:manage)");
        api.MapPost("/{organizationId}/domains", AddDomainAsync).WithSummary("Claim a domain (org:domains:manage)");
        api.MapPost("/{organizationId}/domains/{domainId}/verify", VerifyDomainAsync).WithSummary("Verify by the DNS TXT record");
        api.MapPost("/{organizationId}/domains/{domainId}/mark-verified", MarkDomainVerifiedAsync)
            .WithSummary("Mark verified without DNS (platform administrators)");
        api.MapDelete("/{organizationId}/domains/{domainId}", DeleteDomainAsync).WithSummary("Remove a domain");

        api.MapGet("/{organizationId}/audit", ListAuditAsync).WithSummary("Recent audit entries (org:audit:read)");

        api.MapGet("/{organizationId}/scim-tokens", ListScimTokensAsync).WithSummary("SCIM tokens: name, hint, last use (org:scim:manage)");
        api.MapPost("/{organizationId}/scim-tokens", CreateScimTokenAsync).WithSummary("Create a SCIM token; the secret is returned this once (org:scim:manage)");
        api.MapDelete("/{organizationId}/scim-tokens/{tokenId}", RevokeScimTokenAsync).WithSummary("Revoke a SCIM token (org:scim:manage)");

        api.MapGet("/{organizationId}/saml-connections", ListSamlAsync).WithSummary("SAML connections (org:sso:manage)");
        api.MapPost("/{organizationId}/saml-connections", CreateSamlAsync).WithSummary("Create a SAML connection from IdP metadata (XML or https URL)");
        api.MapGet("/{organizationId}/saml-connections/{connectionId}", GetSamlAsync).WithSummary("One SAML connection, with the SP values to give the IdP");
        api.MapPatch("/{organizationId}/saml-connections/{connectionId}", UpdateSamlAsync).WithSummary("New metadata or settings");
        api.MapDelete("/{organizationId}/saml-connections/{connectionId}", DeleteSamlAsync).WithSummary("Delete a SAML connection");
        return endpoints;
    }

    public static IServiceCollection AddPlintoAdminApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.HasScope(OrganizationScopes.PlatformAdmin) || context.User.HasScope(OrganizationScopes.OrganizationAdmin)));
        services.AddOpenApi(DocumentName, options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Plinto admin API";
                document.Info.Description = "Organizations, members, roles, invitations and domains. Bearer access tokens from this server: "
                    + "scope plinto:admin (platform) or plinto:org:admin (one organization, with the caller's permissions there).";
                document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new Microsoft.OpenApi.OpenApiSecurityScheme
                {
                    Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "An access token with the plinto-admin audience.",
                };
                document.Security ??= [];
                document.Security.Add(new Microsoft.OpenApi.OpenApiSecurityRequirement
                {
                    [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("bearer", document)] = [],
                });
                return Task.CompletedTask;
            });
        });
        return services;
    }

    // ------------------------------------------------------------------ request bodies

    internal sealed record CreateOrganizationRequest(string? Name, string? Slug, string? OwnerUserId);

    internal sealed record AddMemberRequest(string? UserId, IReadOnlyList<string>? Roles);

    internal sealed record RolesRequest(IReadOnlyList<string>? Roles);

    internal sealed record RoleRequest(string? Description, IReadOnlyList<string>? Permissions);

    internal sealed record PermissionRequest(string? Name, string? Description);

    internal sealed record InvitationRequest(string? Email, string? Role);

    internal sealed record DomainRequest(string? Name);

    // ------------------------------------------------------------------ handlers

    private static async Task<Results<Ok<IReadOnlyList<OrganizationView>>, ProblemHttpResult>> ListAsync(
        int? offset, int? limit, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        await ActorAsync(context, users) is { } actor
            ? TypedResults.Ok(await organizations.ListAsync(actor, offset ?? 0, limit ?? 100, cancellationToken))
            : NoActor();

    private static async Task<Results<Created<OrganizationView>, ProblemHttpResult>> CreateAsync(
        CreateOrganizationRequest body, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken)
    {
        if (await ActorAsync(context, users) is not { } actor)
        {
            return NoActor();
        }

        var result = await organizations.CreateAsync(actor, body.Name, body.Slug, body.OwnerUserId, cancellationToken);
        return result.Succeeded ? TypedResults.Created($"/api/organizations/{result.Value!.Id}", result.Value) : Problem(result);
    }

    private static Task<Results<Ok<OrganizationView>, ProblemHttpResult>> GetAsync(
        string organizationId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.GetAsync(actor, organizationId, cancellationToken));

    private static Task<Results<Ok<OrganizationView>, ProblemHttpResult>> UpdateAsync(
        string organizationId, OrganizationUpdate body, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.UpdateAsync(actor, organizationId, body, cancellationToken));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string organizationId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunNoContentAsync(context, users, actor => organizations.DeleteAsync(actor, organizationId, cancellationToken));

    private static Task<Results<Ok<IReadOnlyList<MemberView>>, ProblemHttpResult>> ListMembersAsync(
        string organizationId, int? offset, int? limit, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.ListMembersAsync(actor, organizationId, offset ?? 0, limit ?? 100, cancellationToken));

    private static Task<Results<Ok<MemberView>, ProblemHttpResult>> AddMemberAsync(
        string organizationId, AddMemberRequest body, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.AddMemberAsync(actor, organizationId, body.UserId, body.Roles, cancellationToken));

    private static Task<Results<Ok<MemberView>, ProblemHttpResult>> SetMemberRolesAsync(
        string organizationId, string userId, RolesRequest body, HttpContext context, OrganizationAdministration organizations,
        UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.SetMemberRolesAsync(actor, organizationId, userId, body.Roles, cancellationToken));

    private static Task<Results<NoContent, ProblemHttpResult>> RemoveMemberAsync(
        string organizationId, string userId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunNoContentAsync(context, users, actor => organizations.RemoveMemberAsync(actor, organizationId, userId, cancellationToken));

    private static Task<Results<Ok<IReadOnlyList<RoleView>>, ProblemHttpResult>> ListRolesAsync(
        string organizationId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.ListRolesAsync(actor, organizationId, cancellationToken));

    private static Task<Results<Ok<RoleView>, ProblemHttpResult>> SaveRoleAsync(
        string organizationId, string name, RoleRequest body, HttpContext context, OrganizationAdministration organizations,
        UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.SaveRoleAsync(actor, organizationId, name, body.Description, body.Permissions, cancellationToken));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteRoleAsync(
        string organizationId, string name, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunNoContentAsync(context, users, actor => organizations.DeleteRoleAsync(actor, organizationId, name, cancellationToken));

    private static Task<Results<Ok<IReadOnlyList<PermissionView>>, ProblemHttpResult>> ListPermissionsAsync(
        string organizationId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.ListPermissionsAsync(actor, organizationId, cancellationToken));

    private static Task<Results<Ok<PermissionView>, ProblemHttpResult>> CreatePermissionAsync(
        string organizationId, PermissionRequest body, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.CreatePermissionAsync(actor, organizationId, body.Name, body.Description, cancellationToken));

    private static Task<Results<NoContent, ProblemHttpResult>> DeletePermissionAsync(
        string organizationId, string name, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunNoContentAsync(context, users, actor => organizations.DeletePermissionAsync(actor, organizationId, name, cancellationToken));

    private static Task<Results<Ok<IReadOnlyList<InvitationView>>, ProblemHttpResult>> ListInvitationsAsync(
        string organizationId, int? offset, int? limit, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.ListInvitationsAsync(actor, organizationId, offset ?? 0, limit ?? 100, cancellationToken));

    private static Task<Results<Ok<InvitationView>, ProblemHttpResult>> InviteAsync(
        string organizationId, InvitationRequest body, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        AccountEmailSender email, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => InvitationMail.InviteAndSendAsync(context, organizations, email, actor, organizationId, body.Email, body.Role, cancellationToken));

    private static Task<Results<NoContent, ProblemHttpResult>> RevokeInvitationAsync(
        string organizationId, string invitationId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunNoContentAsync(context, users, actor => organizations.RevokeInvitationAsync(actor, organizationId, invitationId, cancellationToken));

    private static Task<Results<Ok<IReadOnlyList<DomainView>>, ProblemHttpResult>> ListDomainsAsync(
        string organizationId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.ListDomainsAsync(actor, organizationId, cancellationToken));

    private static Task<Results<Ok<DomainView>, ProblemHttpResult>> AddDomainAsync(
        string organizationId, DomainRequest body, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.AddDomainAsync(actor, organizationId, body.Name, cancellationToken));

    private static Task<Results<Ok<DomainView>, ProblemHttpResult>> VerifyDomainAsync(
        string organizationId, string domainId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.VerifyDomainAsync(actor, organizationId, domainId, byAdministrator: false, cancellationToken));

    private static Task<Results<Ok<DomainView>, ProblemHttpResult>> MarkDomainVerifiedAsync(
        string organizationId, string domainId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.VerifyDomainAsync(actor, organizationId, domainId, byAdministrator: true, cancellationToken));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteDomainAsync(
        string organizationId, string domainId, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunNoContentAsync(context, users, actor => organizations.DeleteDomainAsync(actor, organizationId, domainId, cancellationToken));

    private static Task<Results<Ok<IReadOnlyList<AuditView>>, ProblemHttpResult>> ListAuditAsync(
        string organizationId, int? limit, HttpContext context, OrganizationAdministration organizations, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => organizations.ListAuditAsync(actor, organizationId, limit ?? 100, cancellationToken));

    internal sealed record ScimTokenRequest(string? Name);

    private static Task<Results<Ok<IReadOnlyList<Scim.ScimTokenView>>, ProblemHttpResult>> ListScimTokensAsync(
        string organizationId, HttpContext context, Scim.ScimTokens tokens, UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => tokens.ListAsync(actor, organizationId, cancellationToken));

    private static Task<Results<Ok<Scim.CreatedScimToken>, ProblemHttpResult>> CreateScimTokenAsync(
        string organizationId, ScimTokenRequest body, HttpContext context, Scim.ScimTokens tokens, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => tokens.CreateAsync(actor, organizationId, body.Name, cancellationToken));

    private static Task<Results<NoContent, ProblemHttpResult>> RevokeScimTokenAsync(
        string organizationId, string tokenId, HttpContext context, Scim.ScimTokens tokens, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunNoContentAsync(context, users, actor => tokens.RevokeAsync(actor, organizationId, tokenId, cancellationToken));

    private static Task<Results<Ok<IReadOnlyList<Federation.Saml.SamlConnectionView>>, ProblemHttpResult>> ListSamlAsync(
        string organizationId, HttpContext context, Federation.Saml.SamlConnections connections, UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => connections.ListAsync(actor, organizationId, Origin(context), cancellationToken));

    private static Task<Results<Ok<Federation.Saml.SamlConnectionView>, ProblemHttpResult>> CreateSamlAsync(
        string organizationId, Federation.Saml.SamlConnectionRequest body, HttpContext context, Federation.Saml.SamlConnections connections,
        UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => connections.CreateAsync(actor, organizationId, body, Origin(context), cancellationToken));

    private static Task<Results<Ok<Federation.Saml.SamlConnectionView>, ProblemHttpResult>> GetSamlAsync(
        string organizationId, string connectionId, HttpContext context, Federation.Saml.SamlConnections connections, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => connections.GetAsync(actor, organizationId, connectionId, Origin(context), cancellationToken));

    private static Task<Results<Ok<Federation.Saml.SamlConnectionView>, ProblemHttpResult>> UpdateSamlAsync(
        string organizationId, string connectionId, Federation.Saml.SamlConnectionRequest body, HttpContext context, Federation.Saml.SamlConnections connections,
        UserManager<PlintoUser> users, CancellationToken cancellationToken) =>
        RunAsync(context, users, actor => connections.UpdateAsync(actor, organizationId, connectionId, body, Origin(context), cancellationToken));

    private static Task<Results<NoContent, ProblemHttpResult>> DeleteSamlAsync(
        string organizationId, string connectionId, HttpContext context, Federation.Saml.SamlConnections connections, UserManager<PlintoUser> users,
        CancellationToken cancellationToken) =>
        RunNoContentAsync(context, users, actor => connections.DeleteAsync(actor, organizationId, connectionId, cancellationToken));

    private static string Origin(HttpContext context) => AccountLinks.Absolute(context, string.Empty);

    // ------------------------------------------------------------------ plumbing

    /// <summary>
    /// Who the token speaks for. <c>plinto:admin</c> counts only for a user who is a platform administrator now, or
    /// for a client acting as itself; <c>plinto:org:admin</c> only with the organization the token was issued for.
    /// </summary>
    internal static async Task<OrganizationActor?> ActorAsync(HttpContext context, UserManager<PlintoUser> users)
    {
        var principal = context.User;
        var subject = principal.GetClaim(Claims.Subject);
        if (subject is null)
        {
            return null;
        }

        var user = await users.FindByIdAsync(subject);
        if (user is not null && (!await context.RequestServices.GetRequiredService<SignInManager<PlintoUser>>().CanSignInAsync(user)
            || await users.IsDeactivatedAsync(user)))
        {
            // Checked at every call: an account that can no longer sign in no longer administers anything. A
            // temporary lockout (failed attempts, which anyone can cause) does not end tokens already issued.
            return null;
        }

        if (user is null)
        {
            // client_credentials: the subject is the client itself — and, as an account is checked above, the client as it
            // is now: a client token has no row to revoke, so a client deleted, disabled (its permissions cleared) or no
            // longer allowed the admin scope would otherwise keep administering until its tokens expire. The lookup is
            // served by the client cache, which every change clears (on every node on PostgreSQL).
            var clientId = principal.GetClaim(Claims.ClientId) ?? principal.GetClaim(Claims.Private.Presenter);
            if (clientId != subject || !principal.HasScope(OrganizationScopes.PlatformAdmin))
            {
                return null;
            }

            var applications = context.RequestServices.GetRequiredService<IOpenIddictApplicationManager>();
            return await applications.FindByClientIdAsync(clientId, context.RequestAborted) is { } application
                && await applications.HasPermissionAsync(application, Permissions.Prefixes.Scope + OrganizationScopes.PlatformAdmin, context.RequestAborted)
                ? new OrganizationActor("client:" + clientId, UserId: null, IsPlatformAdmin: true)
                : null;
        }

        if (principal.HasScope(OrganizationScopes.PlatformAdmin) && await users.IsInRoleAsync(user, AdminBootstrapService.AdminRole))
        {
            return OrganizationActor.ForUser(user.Id, isPlatformAdmin: true);
        }

        return principal.HasScope(OrganizationScopes.OrganizationAdmin) && principal.GetClaim(OrganizationScopes.IdClaim) is { } organizationId
            ? OrganizationActor.ForUser(user.Id, isPlatformAdmin: false, onlyOrganizationId: organizationId)
            : null;
    }

    private static async Task<Results<Ok<T>, ProblemHttpResult>> RunAsync<T>(
        HttpContext context, UserManager<PlintoUser> users, Func<OrganizationActor, Task<OrganizationResult<T>>> command)
    {
        if (await ActorAsync(context, users) is not { } actor)
        {
            return NoActor();
        }

        var result = await command(actor);
        return result.Succeeded ? TypedResults.Ok(result.Value!) : Problem(result);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RunNoContentAsync(
        HttpContext context, UserManager<PlintoUser> users, Func<OrganizationActor, Task<OrganizationResult<bool>>> command)
    {
        if (await ActorAsync(context, users) is not { } actor)
        {
            return NoActor();
        }

        var result = await command(actor);
        return result.Succeeded ? TypedResults.NoContent() : Problem(result);
    }

    private static ProblemHttpResult NoActor() => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
        detail: "plinto:admin needs a platform administrator (or a client token); plinto:org:admin needs a token issued for an organization.",
        extensions: new Dictionary<string, object?> { ["error"] = "insufficient_scope" });

    private static ProblemHttpResult Problem<T>(OrganizationResult<T> result)
    {
        var (status, code) = result.Error switch
        {
            OrganizationError.NotFound => (StatusCodes.Status404NotFound, "not_found"),
            OrganizationError.Forbidden => (StatusCodes.Status403Forbidden, "forbidden"),
            OrganizationError.Conflict => (StatusCodes.Status409Conflict, "conflict"),
            OrganizationError.LastOwner => (StatusCodes.Status409Conflict, "last_owner"),
            _ => (StatusCodes.Status400BadRequest, "invalid_request"),
        };
        return TypedResults.Problem(statusCode: status, detail: result.Message, extensions: new Dictionary<string, object?> { ["error"] = code });
    }
}
