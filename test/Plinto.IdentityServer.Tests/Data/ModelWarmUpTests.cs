using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Tests.Data;

/// <summary>
/// The EF Core model built on another core at start (<see cref="ModelWarmUp"/>): the migration check waits for it, and
/// a failure of that build stops the start instead of vanishing in a task nobody awaits.
/// </summary>
internal sealed class ModelWarmUpTests
{
    private string folder = null!;

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("plinto-warmup-").FullName;

    [TearDown]
    public void DeleteFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task The_migration_check_waits_for_the_model_build_and_applies_the_migrations()
    {
        await using var services = Services(failFirstContext: false);

        services.StartBuildingPlintoModel();
        await services.MigratePlintoDatabaseAsync(CancellationToken.None);

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        Assert.That(await db.Database.GetPendingMigrationsAsync(), Is.Empty);
    }

    [Test]
    public async Task A_failed_model_build_fails_the_migration_check_even_when_a_second_attempt_would_succeed()
    {
        // Only the warm-up's context fails: a migration check that did not await the warm-up would succeed on its own.
        await using var services = Services(failFirstContext: true);

        services.StartBuildingPlintoModel();
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => services.MigratePlintoDatabaseAsync(CancellationToken.None));

        Assert.That(error!.Message, Is.EqualTo("The model build failed."));
    }

    [Test]
    public async Task Without_the_migration_step_a_failed_model_build_still_fails_the_start()
    {
        // MigrateOnStart=false (migrations run by a separate job): nothing else awaits the warm-up.
        await using var services = Services(failFirstContext: true);
        var start = new DatabaseMigrationService(services, Options.Create(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, MigrateOnStart = false }));

        services.StartBuildingPlintoModel();
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => start.StartAsync(CancellationToken.None));

        Assert.That(error!.Message, Is.EqualTo("The model build failed."));
    }

    private ServiceProvider Services(bool failFirstContext)
    {
        var contexts = 0;
        var connectionString = $"Data Source={Path.Combine(folder, "plinto.db")}";
        var services = new ServiceCollection();
        services.AddSingleton(Options.Create(new DatabaseOptions { Provider = DatabaseProvider.Sqlite }));
        services.AddSingleton<ModelWarmUp>();
        services.AddScoped(_ => Interlocked.Increment(ref contexts) == 1 && failFirstContext
            ? throw new InvalidOperationException("The model build failed.")
            : PlintoDbContextOptions.CreateForDesignTime(DatabaseProvider.Sqlite, connectionString));
        return services.BuildServiceProvider();
    }
}
