using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Plinto.IdentityServer.Connect;

/// <summary>
/// Signs access tokens with the ES256 key when <see cref="KeyOptions.AccessTokenAlgorithm"/> asks for it. OpenIddict
/// signs every token with its first signing key, which stays the RSA one: ID tokens keep RS256 (OIDC Core §15.1).
/// </summary>
internal sealed class AccessTokenSigning(AccessTokenCredentials credentials) : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<AccessTokenSigning>()
            // After OpenIddict attached its default credentials, before the token is generated.
            .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (credentials.Signing is not null && context.TokenType is OpenIddict.Abstractions.OpenIddictConstants.TokenTypeIdentifiers.AccessToken)
        {
            context.SigningCredentials = credentials.Signing;
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The credentials that sign access tokens when they differ from OpenIddict's default (ES256); null otherwise.</summary>
internal sealed record AccessTokenCredentials(SigningCredentials? Signing);
