using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Data;
using Plinto.IdentityServer.Federation.Saml;
using Quartz;

namespace Plinto.IdentityServer.Jobs;

/// <summary>
/// SAML upkeep: refreshes connections' metadata from their URLs (new certificates during an IdP's rollover),
/// warns about certificates that expire within 30 days, and forgets replay-cache entries whose assertions expired.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class SamlMetadataJob(PlintoDbContext db, SamlConnections connections, TimeProvider time, ILogger<SamlMetadataJob> logger) : IJob
{
    public static readonly JobKey Key = new("saml-metadata", "plinto");

    private static readonly TimeSpan WarnBefore = TimeSpan.FromDays(30);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) => await RunAsync(cancellationToken);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expired = await db.Set<SamlReplay>().Where(r => r.ExpiresAt < now.ToUnixTimeMilliseconds()).ExecuteDeleteAsync(cancellationToken);
        LogReplaysPruned(logger, expired);

        foreach (var connection in await db.Set<SamlConnection>().Where(c => c.MetadataUrl != null).ToListAsync(cancellationToken))
        {
            LogRefreshed(logger, connection.Id, await connections.RefreshAsync(connection, cancellationToken));
        }

        var soon = now.Add(WarnBefore).ToUnixTimeMilliseconds();
        foreach (var connection in await db.Set<SamlConnection>().AsNoTracking()
                     .Where(c => c.Enabled && c.CertificatesExpireAt != null && c.CertificatesExpireAt < soon).ToListAsync(cancellationToken))
        {
            LogExpiring(logger, connection.Id, connection.OrganizationId, DateTimeOffset.FromUnixTimeMilliseconds(connection.CertificatesExpireAt!.Value));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} expired SAML replay-cache entries.")]
    private static partial void LogReplaysPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "SAML metadata of connection {ConnectionId}: {Outcome}.")]
    private static partial void LogRefreshed(ILogger logger, string connectionId, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SAML connection {ConnectionId} of organization {OrganizationId}: a signing certificate expires on {ExpiresAt:yyyy-MM-dd}; ask the IdP for the next one (or set a metadata URL).")]
    private static partial void LogExpiring(ILogger logger, string connectionId, string organizationId, DateTimeOffset expiresAt);
}
