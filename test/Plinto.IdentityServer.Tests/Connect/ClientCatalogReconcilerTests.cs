using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>Clients and scopes from configuration are reconciled at every start, on the same database.</summary>
[TestFixtureSource(typeof(TestDatabases), nameof(TestDatabases.All))]
internal sealed class ClientCatalogReconcilerTests(DatabaseProvider provider)
{
    [Test]
    public async Task Restarting_updates_without_duplicates_and_disables_clients_removed_from_configuration()
    {
        // Two hosts, one after the other, on the same database and data folder (same keys).
        var folder = Directory.CreateTempSubdirectory("plinto-test-").FullName;
        var connectionString = await TestDatabases.CreateAsync(provider, folder);
        // Stored client_credentials tokens (off by default) so that their revocation can be checked.
        await using var first = new PlintoFactory(provider, connectionString, folder,
            new Dictionary<string, string?> { ["Plinto:Tokens:StoreClientCredentialsAccessTokens"] = "true" });
        var client = first.CreateClient();
        var issued = await OidcClient.TokenAsync(client, MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });
        Assert.That(issued.Status, Is.EqualTo(HttpStatusCode.OK));
        await first.DisposeAsync();

        // Same database, "machine" removed from configuration and the web client renamed.
        await using var second = new PlintoFactory(provider, connectionString, folder,
            new Dictionary<string, string?>
            {
                ["Plinto:Clients:2"] = null,
                ["Plinto:Clients:0:DisplayName"] = "Renamed web app",
                ["Plinto:Tokens:StoreClientCredentialsAccessTokens"] = "true",
            }) { OwnsFolder = true };
        client = second.CreateClient();

        await using (var scope = second.Services.CreateAsyncScope())
        {
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            Assert.That(await applications.CountAsync(), Is.EqualTo(4), "no duplicates after a restart (the four test clients)");
            var web = await applications.FindByClientIdAsync(ConfidentialClientId);
            Assert.That(await applications.GetDisplayNameAsync(web!), Is.EqualTo("Renamed web app"));

            // Checklist: client secrets are stored hashed, never as given.
            var stored = ((OpenIddictEntityFrameworkCoreApplication)web!).ClientSecret;
            Assert.That(stored, Is.Not.Null.And.Not.Empty);
            Assert.That(stored, Does.Not.Contain(ConfidentialSecret));
            Assert.That(await applications.ValidateClientSecretAsync(web, ConfidentialSecret), Is.True);
        }

        var refused = await OidcClient.TokenAsync(client, MachineClientId, MachineSecret,
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });
        Assert.That(refused.Status, Is.Not.EqualTo(HttpStatusCode.OK));
        Assert.That(refused.Error, Is.AnyOf("unauthorized_client", "invalid_client"));

        await using (var scope = second.Services.CreateAsyncScope())
        {
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
            var machine = await applications.FindByClientIdAsync(MachineClientId);
            var statuses = new List<string?>();
            await foreach (var token in tokens.FindByApplicationIdAsync((await applications.GetIdAsync(machine!))!))
            {
                statuses.Add(await tokens.GetStatusAsync(token));
            }

            Assert.That(statuses, Is.Not.Empty);
            Assert.That(statuses, Is.All.EqualTo(OpenIddictConstants.Statuses.Revoked), "tokens of a removed client are revoked");
        }
    }
}
