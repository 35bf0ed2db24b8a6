using System.Runtime;

namespace Plinto.IdentityServer.Hosting;

/// <summary>
/// Hands the memory that start-up used and dropped (building the EF Core model, migrations check, catalog
/// reconciliation, Razor and route tables) back to the operating system once the node serves. Without it an idle node
/// keeps that garbage, and the GC segments it lived in, until load triggers a full collection — resident memory that
/// counts against a container's limit for nothing (docs/performance.md). One blocking, compacting collection, once, a second
/// after start; it takes tens of milliseconds.
/// </summary>
internal sealed class StartupGarbageRelease(IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A second after start, so that it does not compete with the first requests (readiness probes) for the cores.
        lifetime.ApplicationStarted.Register(() => _ = Task.Delay(TimeSpan.FromSeconds(1), lifetime.ApplicationStopping)
            .ContinueWith(
                static _ =>
                {
                    GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                },
                CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
