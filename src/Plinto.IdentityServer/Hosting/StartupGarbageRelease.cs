namespace Plinto.IdentityServer.Hosting;

/// <summary>
/// Hands the memory that start-up used and dropped (building the EF Core model, migrations check, catalog
/// reconciliation, Razor and route tables) back to the operating system once the node serves. Without it an idle node
/// keeps that garbage, and the GC segments it lived in, until load triggers a full collection — resident memory that
/// counts against a container's limit for nothing (docs/performance.md). One aggressive collection (blocking,
/// compacting every generation including the large object heap, decommitting what is free), once, a second after
/// start; it takes tens of milliseconds.
/// </summary>
internal sealed class StartupGarbageRelease(IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = ReleaseAsync(lifetime.ApplicationStopping));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task ReleaseAsync(CancellationToken stopping)
    {
        // A second after start, so that it does not compete with the first requests (readiness probes) for the cores;
        // not at all when the node is already stopping.
        await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!stopping.IsCancellationRequested)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }
}
