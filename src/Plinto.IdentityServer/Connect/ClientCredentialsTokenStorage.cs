using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Access tokens from the client_credentials grant are self-contained JWTs that resource servers check with the
/// JWKS alone; nothing ever looks their row up except revocation, which RFC 7009 §2 makes optional for access
/// tokens ("SHOULD"). Writing one row per grant was the largest cost of the grant, so by default no row is written
/// (<see cref="TokenOptions.StoreClientCredentialsAccessTokens"/> turns it back on). Such a token is still
/// validated by introspection (signature, lifetime, audience, presenter) and answered as active until it expires;
/// its lifetime (<see cref="TokenOptions.AccessTokenLifetime"/>) bounds the exposure.
/// </summary>
internal sealed class ClientCredentialsTokenStorage(IOptions<TokenOptions> options) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<ClientCredentialsTokenStorage>()
            // Just before OpenIddict decides whether to create the token's row.
            .SetOrder(OpenIddictServerHandlers.Protection.CreateTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!options.Value.StoreClientCredentialsAccessTokens
            && context.EndpointType is OpenIddictServerEndpointType.Token
            && context.TokenType is OpenIddictConstants.TokenTypeIdentifiers.AccessToken
            && context.Request?.IsClientCredentialsGrantType() is true)
        {
            context.CreateTokenEntry = false;
        }

        return ValueTask.CompletedTask;
    }
}
