using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Plinto.IdentityServer.EndToEndTests.Infrastructure;

/// <summary>The one address a started Kestrel server listens on, with the port the OS picked when it bound port 0.</summary>
internal static class BoundAddress
{
    public static Uri Of(IServiceProvider services) =>
        new(services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
}
