using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Chooses the key of every token Plinto issues, explicitly rather than by OpenIddict's key order:
/// <list type="bullet">
/// <item>Access tokens: the asymmetric key of <see cref="KeyOptions.AccessTokenAlgorithm"/> (RS256 or ES256), so
/// resource servers validate them with the JWKS alone; encrypted (when enabled) with the access-token encryption key
/// (<see cref="KeyOptions.AccessTokenEncryptionKeyFiles"/>), never with a key the tokens below derive from.</item>
/// <item>ID tokens: the first RSA key, RS256 (OIDC Core §15.1), whatever order the keys are listed in.</item>
/// <item>Every other token (authorization codes, refresh tokens, device and user codes, request tokens) is read by
/// Plinto alone: HMAC-SHA256 signature and AES-256 key wrapping with keys derived from the RSA encryption key
/// (<see cref="KeyLoader.DeriveTokenKeys"/>). A refresh_token grant thereby costs two RSA private-key operations
/// (the new access and ID tokens) instead of four (docs/performance.md).</item>
/// </list>
/// </summary>
internal sealed class TokenCredentials(IssuedTokenCredentials credentials) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<TokenCredentials>()
            // After OpenIddict attached its default credentials, before the token is generated.
            .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (context.TokenType)
        {
            case TokenTypeIdentifiers.AccessToken:
                context.SigningCredentials = credentials.AccessTokenSigning;
                if (context.EncryptionCredentials is not null)
                {
                    context.EncryptionCredentials = credentials.AccessTokenEncryption
                        ?? throw new InvalidOperationException("Access tokens are encrypted but no access-token encryption key is loaded.");
                }

                break;

            case TokenTypeIdentifiers.IdentityToken:
                context.SigningCredentials = credentials.IdentityTokenSigning;
                break;

            default:
                context.SigningCredentials = credentials.InternalSigning;
                if (context.EncryptionCredentials is not null)
                {
                    context.EncryptionCredentials = credentials.InternalEncryption;
                }

                break;
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The credentials <see cref="TokenCredentials"/> hands out.</summary>
internal sealed record IssuedTokenCredentials(
    SigningCredentials IdentityTokenSigning,
    SigningCredentials AccessTokenSigning,
    EncryptingCredentials? AccessTokenEncryption,
    SigningCredentials InternalSigning,
    EncryptingCredentials InternalEncryption);
