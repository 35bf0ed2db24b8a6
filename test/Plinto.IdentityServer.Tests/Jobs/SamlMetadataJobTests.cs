using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Federation.Saml;
using Plinto.IdentityServer.Jobs;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Jobs;

/// <summary>The SAML upkeep job forgets expired replay-cache entries and keeps the live ones.</summary>
internal sealed class SamlMetadataJobTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    // The metadata server of these tests runs on loopback, which Plinto refuses to fetch from unless allowed.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Plinto:Saml:AllowPrivateMetadataUrls"] = "true" };

    [Test]
    public async Task A_connection_with_a_metadata_URL_takes_the_IdPs_new_certificate()
    {
        var api = Factory.CreateClient();
        var platform = await AdminApiClient.AutomationTokenAsync(api);
        var org = await AdminApiClient.CreateOrganizationAsync(api, platform, AdminApiClient.NewSlug("meta"), ownerUserId: null);
        var (before, after) = (new TestSamlIdp(), new TestSamlIdp());
        await using var server = new MetadataServer { Document = before.Metadata() };
        var created = await AdminApiClient.ExpectAsync(api, HttpMethod.Post, $"/api/organizations/{org}/saml-connections", platform, new { metadataUrl = server.Url });
        var id = created.GetProperty("id").GetString();
        Assert.That(created.GetProperty("certificateThumbprints")[0].GetString(), Is.EqualTo(before.Certificate.Thumbprint));

        // The IdP rolls its key over: the job picks the new certificate up from the URL.
        server.Document = after.Metadata();
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SamlMetadataJob>().RunAsync(CancellationToken.None);
        }

        var refreshed = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/saml-connections/{id}", platform);
        Assert.That(refreshed.GetProperty("certificateThumbprints")[0].GetString(), Is.EqualTo(after.Certificate.Thumbprint));

        // Metadata that suddenly names another IdP is not applied.
        server.Document = after.Metadata().Replace(TestSamlIdp.EntityId, "https://impostor.example.test", StringComparison.Ordinal)
            .Replace(Convert.ToBase64String(after.Certificate.RawData), Convert.ToBase64String(before.Certificate.RawData), StringComparison.Ordinal);
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SamlMetadataJob>().RunAsync(CancellationToken.None);
        }

        var unchanged = await AdminApiClient.ExpectAsync(api, HttpMethod.Get, $"/api/organizations/{org}/saml-connections/{id}", platform);
        Assert.That(unchanged.GetProperty("certificateThumbprints")[0].GetString(), Is.EqualTo(after.Certificate.Thumbprint));
    }

    [Test]
    public async Task Expired_replay_cache_entries_are_removed_and_live_ones_kept()
    {
        var connection = Guid.NewGuid().ToString();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
            db.AddRange(
                new SamlReplay { ConnectionId = connection, AssertionId = "_old", ExpiresAt = now - 60_000 },
                new SamlReplay { ConnectionId = connection, AssertionId = "_live", ExpiresAt = now + 600_000 });
            await db.SaveChangesAsync();
        }

        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SamlMetadataJob>().RunAsync(CancellationToken.None);
            var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
            Assert.That(db.Set<SamlReplay>().Where(r => r.ConnectionId == connection).Select(r => r.AssertionId).ToList(), Is.EqualTo(new[] { "_live" }));
        }
    }
}
