using System.Collections.Immutable;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Plinto.IdentityServer.Account;
using Plinto.IdentityServer.Account.Sessions;
using Plinto.IdentityServer.Organizations;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// The passthrough parts of the token and userinfo endpoints. OpenIddict has already authenticated the client,
/// validated the grant (code binding, PKCE, redirect URI, single use, refresh rotation) before these run.
/// </summary>
internal static class ConnectEndpoints
{
    public static IEndpointRouteBuilder MapPlintoConnect(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost("/connect/token", ExchangeAsync).DisableAntiforgery();
        endpoints.MapMethods("/connect/userinfo", [HttpMethods.Get, HttpMethods.Post], UserInfoAsync).DisableAntiforgery();
        return endpoints;
    }

    private static Task<IResult> ExchangeAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict server request cannot be retrieved.");

        // Services are resolved per grant: the client_credentials hot path builds no user, sign-in or session
        // machinery it would not use.
        var services = context.RequestServices;
        if (request.IsClientCredentialsGrantType())
        {
            return ClientCredentialsAsync(
                request, services.GetRequiredService<IOpenIddictApplicationManager>(),
                services.GetRequiredService<PlintoPrincipalFactory>(), cancellationToken);
        }

        if (!request.IsAuthorizationCodeGrantType() && !request.IsRefreshTokenGrantType())
        {
            return Task.FromResult(Reject(Errors.UnsupportedGrantType, "This grant type is not supported."));
        }

        return UserGrantAsync(
            context, request, services.GetRequiredService<UserManager<PlintoUser>>(), services.GetRequiredService<SignInManager<PlintoUser>>(),
            services.GetRequiredService<PlintoPrincipalFactory>(), services.GetRequiredService<IOptions<TokenOptions>>(),
            services.GetRequiredService<UserSessions>(), services.GetRequiredService<GrantAccountPrefetch>(),
            services.GetRequiredService<OrganizationMemberships>(),
            services.GetRequiredService<TimeProvider>(), cancellationToken);
    }

    private static async Task<IResult> ClientCredentialsAsync(
        OpenIddictRequest request, IOpenIddictApplicationManager applications, PlintoPrincipalFactory principals, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(request.ClientId!, cancellationToken)
            ?? throw new InvalidOperationException("The authenticated client no longer exists.");
        // No end-user takes part in this grant, so no scope that speaks of one is granted, even to a client that has
        // the permission for its other grants: openid would bring an ID token about no authentication (OIDC Core §2)
        // and offline_access a refresh token (RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included"). The
        // response's scope parameter then tells the client what it got (RFC 6749 §3.3, §5.1); a request left with no
        // scope at all would get a token for nothing and no scope parameter to say so, and is refused instead.
        var requested = request.GetScopes();
        var scopes = requested.Remove(Scopes.OpenId).Remove(Scopes.OfflineAccess);
        if (scopes.IsEmpty && !requested.IsEmpty)
        {
            return Reject(Errors.InvalidScope, "openid and offline_access are for grants on behalf of a user; client_credentials needs an API scope.");
        }

        var principal = await principals.CreateForClientAsync(
            request.ClientId!, await applications.GetDisplayNameAsync(application, cancellationToken), scopes, cancellationToken);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>authorization_code and refresh_token: the grant is re-checked against the account as it is now.</summary>
    private static async Task<IResult> UserGrantAsync(
        HttpContext context,
        OpenIddictRequest request,
        UserManager<PlintoUser> users,
        SignInManager<PlintoUser> signIn,
        PlintoPrincipalFactory principals,
        IOptions<TokenOptions> tokenOptions,
        UserSessions sessions,
        GrantAccountPrefetch prefetch,
        OrganizationMemberships memberships,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var granted = result.Principal ?? throw new InvalidOperationException("The grant principal cannot be retrieved.");

        // The account may have changed since the code or refresh token was issued. A temporary lockout is not a
        // reason: anyone can trigger one with wrong passwords, and it must not end the owner's sessions elsewhere.
        var sessionId = granted.GetClaim(UserSessions.SessionIdClaim);
        var subject = granted.GetClaim(Claims.Subject)!;
        var account = prefetch.TryTake(subject, sessionId, out var read) ? read : await sessions.FindGrantAccountAsync(subject, sessionId, cancellationToken);
        if (account?.User is not { } user || !await signIn.CanSignInAsync(user))
        {
            return Reject(Errors.InvalidGrant, "The token is no longer valid.");
        }

        if (granted.GetClaim(PlintoPrincipalFactory.SecurityStampClaim) != await users.GetSecurityStampAsync(user))
        {
            // The password was changed or reset since this grant: the person must sign in again.
            return Reject(Errors.InvalidGrant, "The account's credentials changed; sign in again.");
        }

        // Revoking a browser session in the account center also ends what applications obtained through it.
        if (account.SessionRevoked)
        {
            return Reject(Errors.InvalidGrant, "The session this grant came from was revoked; sign in again.");
        }

        var authenticatedAt = ReadAuthenticationTime(granted);
        if (request.IsRefreshTokenGrantType() && time.GetUtcNow() - authenticatedAt > tokenOptions.Value.RefreshTokenAbsoluteLifetime)
        {
            // RFC 9700 §4.14.2: refresh tokens are bounded in absolute time too; the user must sign in again.
            return Reject(Errors.InvalidGrant, "The refresh token has reached its maximum lifetime; sign in again.");
        }

        // A grant for an organization holds only while the person is a member, under the organization's policies
        // as they are now; roles and permissions are read again, so the new tokens carry the current ones.
        var methods = ReadAuthenticationMethods(granted);
        OrganizationContext? organization = null;
        if (granted.GetClaim(OrganizationScopes.IdClaim) is { } organizationId)
        {
            organization = await memberships.FindAsync(user.Id, organizationId, slug: null, cancellationToken);
            if (organization is null)
            {
                return Reject(Errors.InvalidGrant, "The account is no longer a member of the organization this grant was for.");
            }

            if (OrganizationPolicy.Evaluate(organization.Organization, methods, authenticatedAt, time.GetUtcNow(),
                    granted.GetClaim(SessionClaims.ExternalOrganization)) is not PolicyOutcome.Satisfied)
            {
                return Reject(Errors.InvalidGrant, "The organization's sign-in policy requires signing in again.");
            }
        }

        var refreshed = await principals.CreateForUserAsync(
            user, granted.GetScopes(), authenticatedAt, methods, sessionId, organization, cancellationToken, granted.GetClaim(SessionClaims.ExternalOrganization));
        refreshed.SetAuthorizationId(granted.GetAuthorizationId());
        return Results.SignIn(refreshed, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> UserInfoAsync(HttpContext context, UserManager<PlintoUser> users)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var user = result.Principal?.GetClaim(Claims.Subject) is { } subject ? await users.FindByIdAsync(subject) : null;
        if (user is null)
        {
            // RFC 6750 §3.1: the token no longer designates anyone.
            return Results.Challenge(
                ProtocolErrors.Properties(Errors.InvalidToken, "The account behind this token no longer exists."),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        return Results.Ok(PlintoPrincipalFactory.CreateUserInfo(user, result.Principal!.GetScopes()));
    }

    internal static DateTimeOffset ReadAuthenticationTime(ClaimsPrincipal principal) =>
        long.TryParse(principal.GetClaim(Claims.AuthenticationTime), out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.MinValue;

    internal static ImmutableArray<string> ReadAuthenticationMethods(ClaimsPrincipal principal)
    {
        var methods = ImmutableArray.CreateBuilder<string>();
        foreach (var claim in principal.FindAll(Claims.AuthenticationMethodReference))
        {
            if (claim.ValueType == JsonClaimValueTypes.JsonArray)
            {
                methods.AddRange(JsonSerializer.Deserialize<string[]>(claim.Value) ?? []);
            }
            else
            {
                methods.Add(claim.Value);
            }
        }

        return methods.Distinct(StringComparer.Ordinal).ToImmutableArray();
    }

    private static IResult Reject(string error, string description) =>
        Results.Forbid(ProtocolErrors.Properties(error, description), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
