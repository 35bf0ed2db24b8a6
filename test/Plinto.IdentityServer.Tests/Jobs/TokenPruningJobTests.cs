using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using Plinto.IdentityServer.Account.Passkeys;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Jobs;
using Plinto.IdentityServer.Tests.Infrastructure;
using Quartz;

namespace Plinto.IdentityServer.Tests.Jobs;

internal sealed class TokenPruningJobTests(DatabaseProvider provider) : DatabaseFixture(provider)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Plinto:Jobs:Enabled"] = "true",
        // Far from any test run: the test triggers the job itself.
        ["Plinto:Jobs:TokenPruningSchedule"] = "0 0 3 1 1 ? 2099",
        ["Plinto:Jobs:TokenPruningRetention"] = "01:00:00",
    };

    [Test]
    public async Task The_scheduled_job_prunes_expired_tokens_and_keeps_live_ones()
    {
        string expiredId, liveId, recentExpiredId;
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
            var now = DateTimeOffset.UtcNow;
            expiredId = await CreateTokenAsync(tokens, created: now.AddDays(-2), expires: now.AddDays(-1));
            liveId = await CreateTokenAsync(tokens, created: now.AddDays(-2), expires: now.AddDays(1));
            // Expired, but younger than the retention: kept for reuse detection and audit.
            recentExpiredId = await CreateTokenAsync(tokens, created: now.AddMinutes(-10), expires: now.AddMinutes(-5));
        }

        var scheduler = await Factory.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var trigger = (await scheduler.GetTriggersOfJob(TokenPruningJob.Key)).Single();
        Assert.That(((ICronTrigger)trigger).CronExpressionString, Is.EqualTo("0 0 3 1 1 ? 2099"));

        await scheduler.TriggerJob(TokenPruningJob.Key);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await ExistsAsync(expiredId) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.That(await ExistsAsync(expiredId), Is.False, "expired token pruned");
        Assert.That(await ExistsAsync(liveId), Is.True, "live token kept");
        Assert.That(await ExistsAsync(recentExpiredId), Is.True, "recently expired token kept until the retention passes");
    }

    [Test]
    public async Task Passkey_ceremonies_taken_are_forgotten_once_their_state_expired()
    {
        var expired = Guid.NewGuid().ToString("N");
        var live = Guid.NewGuid().ToString("N");
        await using var scope = Factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        db.AddRange(
            new UsedPasskeyCeremony { Id = expired, ExpiresAt = now - 1_000 },
            new UsedPasskeyCeremony { Id = live, ExpiresAt = now + 60_000 });
        await db.SaveChangesAsync();

        var result = await scope.ServiceProvider.GetRequiredService<TokenPruningJob>().PruneAsync(CancellationToken.None);

        Assert.That(result.PasskeyCeremonies, Is.GreaterThanOrEqualTo(1));
        var left = await db.Set<UsedPasskeyCeremony>().AsNoTracking().Where(c => c.Id == expired || c.Id == live).Select(c => c.Id).ToListAsync();
        Assert.That(left, Is.EqualTo(new[] { live }), "the expired one is gone, the live one kept (a replay of its state is still refused)");
    }

    private static async Task<string> CreateTokenAsync(IOpenIddictTokenManager tokens, DateTimeOffset created, DateTimeOffset expires)
    {
        var token = await tokens.CreateAsync(new OpenIddictTokenDescriptor
        {
            CreationDate = created,
            ExpirationDate = expires,
            Status = OpenIddictConstants.Statuses.Valid,
            Subject = Guid.NewGuid().ToString(),
            Type = OpenIddictConstants.TokenTypeHints.RefreshToken,
        });
        return (await tokens.GetIdAsync(token))!;
    }

    private async Task<bool> ExistsAsync(string id)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().FindByIdAsync(id) is not null;
    }
}
