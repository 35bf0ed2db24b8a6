using Microsoft.Extensions.DependencyInjection;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Federation.Saml;
using Plinto.IdentityServer.Jobs;
using Plinto.IdentityServer.Tests.Infrastructure;

namespace Plinto.IdentityServer.Tests.Jobs;

/// <summary>The SAML upkeep job forgets expired replay-cache entries and keeps the live ones.</summary>
internal sealed class SamlMetadataJobTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
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
