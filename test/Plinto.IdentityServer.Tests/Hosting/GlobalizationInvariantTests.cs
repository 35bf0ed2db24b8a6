using System.Net;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Hosting;

/// <summary>
/// A node in globalization-invariant mode (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1: container images without ICU, and
/// ~5 MB less memory, docs/operations.md) starts and serves its pages and protocol endpoints. It used to stop at start:
/// the request localization's "en" is not a predefined culture in that mode.
/// </summary>
internal sealed class GlobalizationInvariantTests
{
    [TestCase(DatabaseProvider.Sqlite)]
    [TestCase(DatabaseProvider.PostgreSql)]
    public async Task A_node_without_ICU_starts_and_serves_the_sign_in_page_and_discovery(DatabaseProvider provider)
    {
        var folder = Directory.CreateTempSubdirectory("plinto-invariant-").FullName;
        try
        {
            var settings = PlintoFactory.BaseSettings(provider, await TestDatabases.CreateAsync(provider, folder), folder);
            settings["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1";
            settings["Plinto:Issuer"] = "http://plinto.invariant.test/";
            settings["Plinto:RequireHttps"] = "false";
            await using var node = PlintoProcess.Start(settings);
            await node.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));

            using var client = new HttpClient { BaseAddress = node.BaseAddress };
            using var signIn = await client.GetAsync(new Uri("/account/signin?ui_locales=fr-CA%20en", UriKind.Relative));
            Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.OK), node.Output);
            Assert.That(await signIn.Content.ReadAsStringAsync(), Does.Contain("<html lang=\"en\""));
            using var discovery = await client.GetAsync(new Uri("/.well-known/openid-configuration", UriKind.Relative));
            Assert.That(discovery.StatusCode, Is.EqualTo(HttpStatusCode.OK), node.Output);
            Assert.That(node.Output, Does.Not.Contain("crit:").And.Not.Contain("CultureNotFoundException"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
