using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;
using Plinto.IdentityServer.Connect;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Tests.Infrastructure;
using static Plinto.IdentityServer.Tests.Infrastructure.PlintoFactory;

namespace Plinto.IdentityServer.Tests.Connect;

/// <summary>Client secrets: salted SHA-256 (high-entropy secrets), constant-time check, legacy PBKDF2 hashes still accepted.</summary>
internal sealed class ClientSecretTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    [Test]
    public async Task Secrets_are_stored_salted_and_hashed_and_only_the_right_one_passes()
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var machine = (OpenIddictEntityFrameworkCoreApplication)(await applications.FindByClientIdAsync(MachineClientId))!;
        Assert.That(machine.ClientSecret, Does.StartWith(PlintoApplicationManager.Prefix).And.Not.Contain(MachineSecret));

        Assert.That(await applications.ValidateClientSecretAsync(machine, MachineSecret), Is.True);
        Assert.That(await applications.ValidateClientSecretAsync(machine, MachineSecret + "x"), Is.False);
        Assert.That(await applications.ValidateClientSecretAsync(machine, MachineSecret[..^1]), Is.False);

        var client = Factory.CreateClient();
        var wrong = await OidcClient.TokenAsync(client, MachineClientId, "machine-secret-0123456789-abcdefghijkX",
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = ApiScope });
        Assert.That(wrong.Error, Is.EqualTo("invalid_client"));
    }

    [Test]
    public async Task A_secret_hashed_by_OpenIddicts_own_format_is_still_accepted()
    {
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var services = scope.ServiceProvider;
            // OpenIddict's default manager writes its PBKDF2 format, as databases from before this change hold.
            var legacy = new LegacyManager(
                services.GetRequiredService<IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication>>(),
                services.GetRequiredService<ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>>>(),
                services.GetRequiredService<IOptionsMonitor<OpenIddictCoreOptions>>(),
                services.GetRequiredService<IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication>>());
            var store = services.GetRequiredService<IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication>>();
            var web = (await store.FindByClientIdAsync(ConfidentialClientId, CancellationToken.None))!;
            var hash = await legacy.LegacyHashAsync(ConfidentialSecret);
            Assert.That(hash, Does.Not.StartWith(PlintoApplicationManager.Prefix));
            await store.SetClientSecretAsync(web, hash, CancellationToken.None);
            await store.UpdateAsync(web, CancellationToken.None);
            // Written behind the managers' back, as an older version did: forget what this node cached (a restart).
            services.GetRequiredService<CatalogCache>().Invalidate();
        }

        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
            var web = (await applications.FindByClientIdAsync(ConfidentialClientId))!;
            Assert.That(await applications.ValidateClientSecretAsync(web, ConfidentialSecret), Is.True);
            Assert.That(await applications.ValidateClientSecretAsync(web, MachineSecret), Is.False);
        }
    }

    private sealed class LegacyManager(
        IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
        ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
        IOptionsMonitor<OpenIddictCoreOptions> options,
        IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store)
        : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
    {
        public ValueTask<string> LegacyHashAsync(string secret) => ObfuscateClientSecretAsync(secret);
    }
}
