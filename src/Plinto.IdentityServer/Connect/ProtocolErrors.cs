using Microsoft.AspNetCore.Authentication;
using OpenIddict.Server.AspNetCore;

namespace Plinto.IdentityServer.Connect;

/// <summary>Authentication properties that make OpenIddict answer with an OAuth error (RFC 6749 §4.1.2.1, §5.2).</summary>
internal static class ProtocolErrors
{
    public static AuthenticationProperties Properties(string error, string description) =>
        new(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        });
}
