using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Plinto.IdentityServer.Hosting;

namespace Plinto.IdentityServer.Data;

internal static class DataServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddPlintoData(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DatabaseOptions>, ValidateDatabaseOptions>();

        // Identity's store schema is part of the model (Version3: passkeys); set here so that the migrate command,
        // which registers no account services, sees the same model.
        builder.Services.Configure<IdentityOptions>(o => o.Stores.SchemaVersion = PlintoDbContext.IdentitySchemaVersion);

        MigrationsAssemblies.RegisterResolver();
        // Pooled: the options are built once and contexts are reused, instead of both per request.
        builder.Services.AddDbContextPool<PlintoDbContext>((services, options) =>
        {
            var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            options.UsePlintoDatabase(database.Provider, ResolveConnectionString(services, database));
        });

        // Several nodes share one key ring (cookies, antiforgery, email tokens) through the database.
        builder.Services.AddDataProtection()
            .SetApplicationName("Plinto.IdentityServer")
            .PersistKeysToDbContext<PlintoDbContext>();

        // First of all hosted services: the data protection key ring, the catalog reconciliation and the
        // scheduler all read tables that the migrations create.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, DatabaseMigrationService>());
        builder.Services.AddSingleton<ModelWarmUp>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseReadyHealthCheck>("database", tags: [DatabaseReadyHealthCheck.ReadyTag]);

        // What one node changes, the others forget at once (PostgreSQL; see ClusterCacheSignals).
        builder.Services.AddSingleton<ClusterCacheSignals>();
        builder.Services.AddHostedService<ClusterCacheListener>();
        return builder;
    }

    private static string ResolveConnectionString(IServiceProvider services, DatabaseOptions database)
    {
        if (!string.IsNullOrWhiteSpace(database.ConnectionString))
        {
            return database.ConnectionString;
        }

        // Validation guarantees that only SQLite gets here: the embedded default lives in the data folder.
        var host = services.GetRequiredService<IOptions<PlintoHostOptions>>().Value;
        var folder = host.ResolveDataDirectory(services.GetRequiredService<IHostEnvironment>());
        return $"Data Source={Path.Combine(folder, "plinto.db")}";
    }

    /// <summary>Starts building the EF Core model on another core (<see cref="ModelWarmUp"/>); call it right after <c>Build()</c>.</summary>
    public static void StartBuildingPlintoModel(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.GetRequiredService<ModelWarmUp>().Start(services);
    }

    /// <summary>Applies pending migrations; nodes starting together on one database take turns (<see cref="StartupLock"/>).</summary>
    public static async Task MigratePlintoDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.GetService<ModelWarmUp>() is { } warmUp)
        {
            await warmUp.WaitAsync();
        }

        await using var scope = services.CreateAsyncScope();
        var database = scope.ServiceProvider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        MigrationsAssemblies.EnsureAvailable(database.Provider);

        var context = scope.ServiceProvider.GetRequiredService<PlintoDbContext>();
        // Nothing to apply at most starts: reading the history table is cheap, while MigrateAsync also builds the
        // model snapshot and compares it with the model (startup time and ~MBs of memory kept for the process's life).
        var creator = context.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken))
        {
            await context.Database.MigrateAsync(cancellationToken);
        }
        else
        {
            // Nodes starting together on one database migrate one after the other. The lock is held on a connection of
            // its own: the migrator may close and reopen the migration context's connection (Npgsql reloads its types
            // after a migration that adds an extension or an enum), which must not release or strand a session lock.
            // A waiting node waits for the other's migration (up to this context's ten-minute command timeout) rather
            // than failing its start after the 30-second default.
            await using var lockScope = services.CreateAsyncScope();
            var lockContext = lockScope.ServiceProvider.GetRequiredService<PlintoDbContext>();
            lockContext.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
            await using var startupLock = await StartupLock.AcquireAsync(lockContext, "migrations", cancellationToken);
            if (!await MigrationState.HistoryTableExistsAsync(context, cancellationToken))
            {
                // The statement MigrateAsync runs first itself, so that its own read of the table does not fail and
                // log at Error on a fresh database (MigrationState).
                await context.Database.ExecuteSqlRawAsync(context.GetService<IHistoryRepository>().GetCreateIfNotExistsScript(), cancellationToken);
            }

            if ((await context.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
            {
                await context.Database.MigrateAsync(cancellationToken);
            }
        }

        if (database.Provider == DatabaseProvider.Sqlite)
        {
            // WAL lets readers proceed while a writer commits; the mode is stored in the file.
            await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}

internal sealed class ValidateDatabaseOptions : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (!Enum.IsDefined(options.Provider))
        {
            return ValidateOptionsResult.Fail(
                $"Plinto:Database:Provider '{options.Provider}' is not supported; use Sqlite, PostgreSql or SqlServer.");
        }

        if (options.Provider != DatabaseProvider.Sqlite && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(
                $"Plinto:Database:ConnectionString is required when Plinto:Database:Provider is {options.Provider}.");
        }

        return ValidateOptionsResult.Success;
    }
}

internal sealed class DatabaseMigrationService(IServiceProvider services, IOptions<DatabaseOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStart)
        {
            await services.MigratePlintoDatabaseAsync(cancellationToken);
        }
        else if (services.GetService<ModelWarmUp>() is { } warmUp)
        {
            // Without the migration step (a separate `migrate` job), a model that cannot be built still stops the start.
            await warmUp.WaitAsync();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
