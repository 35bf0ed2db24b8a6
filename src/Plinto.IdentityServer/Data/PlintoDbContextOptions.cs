using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Plinto.IdentityServer.Data;

/// <summary>
/// Configures a <see cref="DbContextOptionsBuilder"/> for one provider. Shared by the host and by the
/// design-time factories of the per-provider migration projects, so both build the same model.
/// </summary>
internal static class PlintoDbContextOptions
{
    public static string MigrationsAssemblyName(DatabaseProvider provider) =>
        $"Plinto.IdentityServer.Migrations.{provider}";

    public static DbContextOptionsBuilder UsePlintoDatabase(
        this DbContextOptionsBuilder builder, DatabaseProvider provider, string connectionString)
    {
        var migrations = MigrationsAssemblyName(provider);
        _ = provider switch
        {
            DatabaseProvider.Sqlite => builder.UseSqlite(connectionString, o => o.MigrationsAssembly(migrations)),
            DatabaseProvider.PostgreSql => builder.UseNpgsql(WithAutoPrepare(connectionString), o => o.MigrationsAssembly(migrations)),
            DatabaseProvider.SqlServer => builder.UseSqlServer(connectionString, o => o.MigrationsAssembly(migrations)),
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown database provider."),
        };

        // OpenIddict's applications, authorizations, scopes and tokens live in the same context.
        builder.UseOpenIddict();
        return builder;
    }

    /// <summary>
    /// Npgsql prepares the statements a node runs over and over (token lookups and writes) unless the connection
    /// string says otherwise, so PostgreSQL stops parsing and planning them at every call (refresh_token grants
    /// +27 %, docs/performance.md). Behind PgBouncer in transaction mode before 1.21, set <c>Max Auto Prepare=0</c>.
    /// </summary>
    internal static string WithAutoPrepare(string connectionString)
    {
        if (connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)
            || connectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            return connectionString;
        }

        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 };
        return builder.ConnectionString;
    }

    /// <summary>For the migration projects' design-time factories: the same model as the host builds at run time.</summary>
    public static PlintoDbContext CreateForDesignTime(DatabaseProvider provider, string connectionString)
    {
        var identity = new ServiceCollection()
            .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = PlintoDbContext.IdentitySchemaVersion)
            .BuildServiceProvider();
        var options = new DbContextOptionsBuilder<PlintoDbContext>().UseApplicationServiceProvider(identity);
        options.UsePlintoDatabase(provider, connectionString);
        return new PlintoDbContext(options.Options);
    }
}
