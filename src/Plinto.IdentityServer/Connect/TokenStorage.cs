using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Which issued tokens get a database row. OpenIddict writes one for every token; a row is only worth its write when
/// something looks it up later. Codes and refresh tokens keep theirs (single use, rotation and reuse detection,
/// revocation), and so do access tokens issued for a user (revoked with the user's sessions and grants). Skipped:
/// <list type="bullet">
/// <item>ID tokens: statements to the client, never presented back as credentials. The one place one comes back,
/// <c>id_token_hint</c> at the end-session endpoint, is checked by its signature (OIDC RP-Initiated Logout §2).</item>
/// <item>Access tokens from client_credentials: self-contained JWTs that resource servers check with the JWKS alone;
/// only revocation would look their row up, which RFC 7009 §2 leaves optional for access tokens ("SHOULD").
/// <see cref="TokenOptions.StoreClientCredentialsAccessTokens"/> turns it back on. Without a row, introspection still
/// validates them (signature, lifetime, audience, presenter) until they expire, and revocation answers
/// <c>unsupported_token_type</c> (RFC 7009 §2.2.1); their lifetime bounds the exposure.</item>
/// </list>
/// Writing one row per client_credentials grant was the largest cost of that grant (docs/performance.md).
/// </summary>
internal sealed class TokenStorage(IOptions<TokenOptions> options) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<TokenStorage>()
            // Just before OpenIddict decides whether to create the token's row.
            .SetOrder(OpenIddictServerHandlers.Protection.CreateTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TokenType is OpenIddictConstants.TokenTypeIdentifiers.IdentityToken)
        {
            context.CreateTokenEntry = false;
        }
        else if (!options.Value.StoreClientCredentialsAccessTokens
            && context.EndpointType is OpenIddictServerEndpointType.Token
            && context.TokenType is OpenIddictConstants.TokenTypeIdentifiers.AccessToken
            && context.Request?.IsClientCredentialsGrantType() is true)
        {
            context.CreateTokenEntry = false;
        }

        return ValueTask.CompletedTask;
    }
}
