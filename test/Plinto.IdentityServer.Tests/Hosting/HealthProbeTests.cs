using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Hosting;

/// <summary>`Plinto.IdentityServer healthcheck`, the container HEALTHCHECK, against a real listening server.</summary>
internal sealed class HealthProbeTests
{
    [Test]
    public async Task The_healthcheck_command_succeeds_against_a_live_server_and_fails_without_one()
    {
        await using var factory = await PlintoFactory.CreateAsync(DatabaseProvider.Sqlite);
        // Port 0: the OS picks it at the bind; the probe is then pointed at the port Kestrel got.
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var port = new Uri(factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()).Port;

        Assert.That(await RunProbeAsync(port), Is.EqualTo(0));
        // A port found free and left unbound: nothing answers there.
        Assert.That(await RunProbeAsync(PlintoProcess.FreePort()), Is.EqualTo(1));
    }

    private static async Task<int> RunProbeAsync(int port)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Plinto.IdentityServer.dll"), "healthcheck"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }
}
