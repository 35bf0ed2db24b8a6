using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Organizations;

/// <summary>The scopes and claims that carry an organization into tokens.</summary>
internal static class OrganizationScopes
{
    /// <summary>Ask for an organization: the person picks one (or the only one is used).</summary>
    public const string Organization = "organization";

    /// <summary><c>organization:{slug}</c>: ask for that organization (switching re-issues tokens without a password).</summary>
    public const string SpecificPrefix = "organization:";

    /// <summary>The admin API, for platform administrators (and machine clients given it).</summary>
    public const string PlatformAdmin = "plinto:admin";

    /// <summary>The admin API, limited to the organization the token was issued for, with the member's permissions there.</summary>
    public const string OrganizationAdmin = "plinto:org:admin";

    public static readonly string[] All = [Organization, PlatformAdmin, OrganizationAdmin];

    /// <summary>
    /// Authorization request parameter holding the requested organization's slug, set only from an
    /// <c>organization:{slug}</c> scope (the picker sends one too). Membership is checked before use.
    /// </summary>
    public const string RequestParameter = "plinto_organization";

    public const string IdClaim = "org_id";
    public const string SlugClaim = "org_slug";
    public const string RolesClaim = "org_roles";
    public const string PermissionsClaim = "org_permissions";

    public static readonly string[] Claims = [IdClaim, SlugClaim, RolesClaim, PermissionsClaim];
}

/// <summary>
/// Turns <c>organization:{slug}</c> into the registered <c>organization</c> scope plus <see cref="OrganizationScopes.RequestParameter"/>
/// before OpenIddict checks scopes against the registry and the client's permissions (a client allowed
/// <c>organization</c> may ask for any one organization by slug).
/// </summary>
internal sealed class ExtractRequestedOrganization : IOpenIddictServerHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateAuthorizationRequestContext>()
            .UseSingletonHandler<ExtractRequestedOrganization>()
            // After the client and redirect_uri are validated (so an error goes back to the client), before scopes are.
            .SetOrder(OpenIddict.Server.OpenIddictServerHandlers.Authentication.ValidateScopes.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateAuthorizationRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Only this handler sets the parameter: a value sent by a client or a crafted link is dropped, so the
        // organization is always the one named in the scope (and prompt=select_account cannot be skipped).
        context.Request.RemoveParameter(OrganizationScopes.RequestParameter);
        var scopes = context.Request.GetScopes();
        var specific = scopes.Where(s => s.StartsWith(OrganizationScopes.SpecificPrefix, StringComparison.Ordinal)).ToList();
        if (specific.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        if (specific.Count > 1 || !OrganizationSlug.IsValid(specific[0][OrganizationScopes.SpecificPrefix.Length..]))
        {
            // RFC 6749 §4.1.2.1 invalid_scope.
            context.Reject(Errors.InvalidScope, "Request one organization:{slug} scope, with a valid slug.");
            return ValueTask.CompletedTask;
        }

        context.Request.Scope = string.Join(' ', scopes.Except(specific).Append(OrganizationScopes.Organization).Distinct(StringComparer.Ordinal));
        context.Request.SetParameter(OrganizationScopes.RequestParameter, specific[0][OrganizationScopes.SpecificPrefix.Length..]);
        return ValueTask.CompletedTask;
    }
}
