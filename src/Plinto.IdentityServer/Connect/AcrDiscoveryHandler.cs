using OpenIddict.Server;
using Plinto.IdentityServer.Account.Mfa;

namespace Plinto.IdentityServer.Connect;

/// <summary>Publishes <c>acr_values_supported</c> (OpenID Connect Discovery 1.0 §3).</summary>
internal sealed class AcrDiscoveryHandler : IOpenIddictServerHandler<OpenIddictServerEvents.HandleConfigurationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.HandleConfigurationRequestContext>()
            .UseSingletonHandler<AcrDiscoveryHandler>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(OpenIddictServerEvents.HandleConfigurationRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Metadata["acr_values_supported"] = new OpenIddict.Abstractions.OpenIddictParameter(System.Text.Json.JsonSerializer.SerializeToElement(AuthenticationContext.Supported));
        return ValueTask.CompletedTask;
    }
}
