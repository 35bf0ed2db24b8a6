using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Mfa;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Organizations;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Builds the principals OpenIddict turns into tokens, and decides which claim goes into which token.
/// Access tokens stay small (subject, scopes, audiences); profile and e-mail claims go to the ID token and to
/// userinfo only when the matching scope was granted (OIDC Core §5.4).
/// </summary>
internal sealed class PlintoPrincipalFactory(IServiceProvider services, IOpenIddictScopeManager scopeManager, CatalogCache catalog)
{
    private UserManager<PlintoUser>? users;
    public const string AuthenticationType = "plinto";

    /// <summary>
    /// The account's security stamp when the grant was made. No destination: it stays inside codes and refresh
    /// tokens (which are encrypted), and the token endpoint refuses a grant whose stamp is no longer current
    /// (password changed or reset, credentials revoked).
    /// </summary>
    public const string SecurityStampClaim = "plinto_stamp";

    // Resolved on first use: client principals (the client_credentials hot path) never need it.
    private UserManager<PlintoUser> Users => users ??= services.GetRequiredService<UserManager<PlintoUser>>();

    /// <summary>Principal for a user, carrying forward when and how they authenticated.</summary>
    public async Task<ClaimsPrincipal> CreateForUserAsync(
        PlintoUser user, ImmutableArray<string> scopes, DateTimeOffset authenticatedAt, IReadOnlyCollection<string> methods,
        string? sessionId, OrganizationContext? organization, CancellationToken cancellationToken, string? externalOrganizationId = null)
    {
        var identity = new ClaimsIdentity(AuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, await Users.GetUserIdAsync(user));
        // No destination: kept inside codes and refresh tokens, for the organization policy at refresh.
        identity.SetClaim(SessionClaims.ExternalOrganization, externalOrganizationId);
        if (organization is not null)
        {
            // The organization the person chose (or was sent to); roles and permissions as they are now.
            identity.SetClaim(OrganizationScopes.IdClaim, organization.Id);
            identity.SetClaim(OrganizationScopes.SlugClaim, organization.Slug);
            // JSON arrays even with one value (or none), so that clients can always read them as lists.
            identity.AddClaim(new Claim(OrganizationScopes.RolesClaim, JsonSerializer.Serialize(organization.Roles), JsonClaimValueTypes.JsonArray));
            identity.AddClaim(new Claim(OrganizationScopes.PermissionsClaim, JsonSerializer.Serialize(organization.Permissions), JsonClaimValueTypes.JsonArray));
        }

        identity.SetClaim(SecurityStampClaim, await Users.GetSecurityStampAsync(user));
        // The browser session the grant came from (no destination: inside codes and refresh tokens only).
        identity.SetClaim(UserSessions.SessionIdClaim, sessionId);
        AddProfileClaims(identity, user, scopes);

        // OIDC Core §2: auth_time in seconds since the epoch; amr as a JSON array (RFC 8176 values).
        identity.SetClaim(Claims.AuthenticationTime, authenticatedAt.ToUnixTimeSeconds());
        if (methods.Count > 0)
        {
            identity.SetClaims(Claims.AuthenticationMethodReference, JsonSerializer.SerializeToElement(methods));
        }

        // OIDC Core §2 acr: which of our authentication context classes the session satisfies.
        identity.SetClaim(Claims.AuthenticationContextReference, AuthenticationContext.For(methods));

        identity.SetScopes(scopes);
        identity.SetResources(await ListResourcesAsync(scopes, cancellationToken));
        identity.SetDestinations(GetDestinations);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>Principal for a client acting on its own behalf (client_credentials): the subject is the client.</summary>
    public async Task<ClaimsPrincipal> CreateForClientAsync(
        string clientId, string? displayName, ImmutableArray<string> scopes, CancellationToken cancellationToken)
    {
        var identity = new ClaimsIdentity(AuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, clientId);
        identity.SetClaim(Claims.Name, displayName ?? clientId);
        identity.SetScopes(scopes);
        identity.SetResources(await ListResourcesAsync(scopes, cancellationToken));
        identity.SetDestinations(static claim => claim.Type == Claims.Name ? [] : [Destinations.AccessToken]);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The userinfo response for the granted scopes (OIDC Core §5.3.2).</summary>
    public static Dictionary<string, object> CreateUserInfo(PlintoUser user, ImmutableArray<string> scopes)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal) { [Claims.Subject] = user.Id };
        if (scopes.Contains(Scopes.Profile))
        {
            AddIfPresent(claims, Claims.Name, user.Name);
            AddIfPresent(claims, Claims.GivenName, user.GivenName);
            AddIfPresent(claims, Claims.FamilyName, user.FamilyName);
            AddIfPresent(claims, Claims.Picture, user.Picture);
            // No preferred_username: the user name is the e-mail address, which "profile" does not grant.
        }

        if (scopes.Contains(Scopes.Email) && user.Email is not null)
        {
            claims[Claims.Email] = user.Email;
            claims[Claims.EmailVerified] = user.EmailConfirmed;
        }

        return claims;
    }

    private static void AddProfileClaims(ClaimsIdentity identity, PlintoUser user, ImmutableArray<string> scopes)
    {
        foreach (var (type, value) in CreateUserInfo(user, scopes))
        {
            switch (value)
            {
                case bool flag:
                    identity.SetClaim(type, flag);
                    break;
                case string text when type != Claims.Subject:
                    identity.SetClaim(type, text);
                    break;
            }
        }
    }

    private static IEnumerable<string> GetDestinations(Claim claim) => claim.Type switch
    {
        Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
        Claims.AuthenticationTime or Claims.AuthenticationMethodReference or Claims.AuthenticationContextReference => [Destinations.IdentityToken],
        Claims.Name or Claims.GivenName or Claims.FamilyName or Claims.Picture
            or Claims.Email or Claims.EmailVerified => [Destinations.IdentityToken],
        OrganizationScopes.IdClaim or OrganizationScopes.SlugClaim or OrganizationScopes.RolesClaim or OrganizationScopes.PermissionsClaim =>
            [Destinations.AccessToken, Destinations.IdentityToken],
        // Anything else (including OpenIddict's private claims, which it handles itself) stays out of tokens.
        _ => [],
    };

    private static void AddIfPresent(Dictionary<string, object> claims, string type, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            claims[type] = value;
        }
    }

    /// <summary>Audiences of the granted scopes, from <see cref="CatalogCache"/> when it has them.</summary>
    /// <summary>The audiences of tokens for these scopes: the scopes' resources, and the admin API's for its scopes.</summary>
    public async Task<ImmutableArray<string>> ListResourcesAsync(ImmutableArray<string> scopes, CancellationToken cancellationToken)
    {
        if (catalog.TryGetResources(scopes, out var cached))
        {
            return WithAdminAudience(scopes, cached);
        }

        var generation = catalog.Generation;
        var builder = ImmutableArray.CreateBuilder<string>();
        await foreach (var resource in scopeManager.ListResourcesAsync(scopes, cancellationToken))
        {
            builder.Add(resource);
        }

        var resources = builder.ToImmutable();
        catalog.SetResources(scopes, resources, generation);
        return WithAdminAudience(scopes, resources);
    }

    /// <summary>Tokens for the admin API carry its audience, and only such tokens are accepted there.</summary>
    private static ImmutableArray<string> WithAdminAudience(ImmutableArray<string> scopes, ImmutableArray<string> resources) =>
        scopes.Contains(OrganizationScopes.PlatformAdmin) || scopes.Contains(OrganizationScopes.OrganizationAdmin)
            ? resources.Add(Admin.AdminApi.Audience)
            : resources;
}
