using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Quartz;

namespace Plinto.IdentityServer.Jobs;

/// <summary>
/// Deletes tokens and authorizations that can no longer be used (expired, redeemed, revoked or invalid) once they
/// are older than the retention. OpenIddict's managers decide what is prunable; OpenIddict.Quartz is not used.
/// Also forgets the passkey ceremonies taken (<see cref="Account.Passkeys.PasskeyCeremonyState"/>) whose state expired.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class TokenPruningJob(
    IOpenIddictTokenManager tokens,
    IOpenIddictAuthorizationManager authorizations,
    IOptions<JobsOptions> options,
    Data.PlintoDbContext db,
    TimeProvider time,
    ILogger<TokenPruningJob> logger) : IJob
{
    public static readonly JobKey Key = new("token-pruning", "plinto");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var result = await PruneAsync(cancellationToken);
        context.Result = result;
        // In a cluster each firing runs on one node; this line is how an operator (and the multi-node test) sees it.
        LogFiring(logger, context.ScheduledFireTimeUtc, context.FireInstanceId);
    }

    public async Task<PruneResult> PruneAsync(CancellationToken cancellationToken)
    {
        var threshold = time.GetUtcNow() - options.Value.TokenPruningRetention;
        var prunedTokens = await tokens.PruneAsync(threshold, cancellationToken);
        var prunedAuthorizations = await authorizations.PruneAsync(threshold, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var prunedCeremonies = await db.Set<Account.Passkeys.UsedPasskeyCeremony>().Where(c => c.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        LogPruned(logger, prunedTokens, prunedAuthorizations, threshold, prunedCeremonies);
        return new PruneResult(prunedTokens, prunedAuthorizations, prunedCeremonies);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Token pruning firing scheduled for {ScheduledFireTime:O} ran here ({FireInstanceId}).")]
    private static partial void LogFiring(ILogger logger, DateTimeOffset? scheduledFireTime, string fireInstanceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Tokens} tokens and {Authorizations} authorizations created before {Threshold}, and {PasskeyCeremonies} expired passkey ceremonies.")]
    private static partial void LogPruned(ILogger logger, long tokens, long authorizations, DateTimeOffset threshold, int passkeyCeremonies);
}

internal sealed record PruneResult(long Tokens, long Authorizations, int PasskeyCeremonies);
