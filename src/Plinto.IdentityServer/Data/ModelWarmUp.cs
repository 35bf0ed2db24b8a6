namespace Plinto.IdentityServer.Data;

/// <summary>
/// Builds the EF Core model (~350 ms, single-threaded) on another core while the host wires up its middleware and
/// endpoints, instead of in the migration check that starts the hosted services. EF Core builds a context's model
/// once under a lock, so the migration check waits for this build rather than starting its own; it also awaits the
/// task itself, so a build failure stops the start-up as before (docs/performance.md, tenth pass).
/// </summary>
internal sealed class ModelWarmUp
{
    private Task building = Task.CompletedTask;

    public void Start(IServiceProvider services) => building = Task.Run(() =>
    {
        using var scope = services.CreateScope();
        _ = scope.ServiceProvider.GetRequiredService<PlintoDbContext>().Model;
    });

    public Task WaitAsync() => building;
}
