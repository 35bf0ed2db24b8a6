using System.Runtime.CompilerServices;
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
            DatabaseProvider.Sqlite => UseSqlite(builder, connectionString, migrations),
            DatabaseProvider.PostgreSql => UsePostgreSql(builder, connectionString, migrations),
            DatabaseProvider.SqlServer => UseSqlServer(builder, connectionString, migrations),
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown database provider."),
        };

        // OpenIddict's applications, authorizations, scopes and tokens live in the same context.
        builder.UseOpenIddict();
        builder.AddInterceptors(AfterCommit.Interceptor);
        return builder;
    }

    // One method per provider, never inlined: the runtime loads a provider's assemblies when it compiles (or binds the
    // ready-to-run code of) a method that calls into them, so a node loads only the provider it uses (idle memory,
    // docs/performance.md).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DbContextOptionsBuilder UseSqlite(DbContextOptionsBuilder builder, string connectionString, string migrations) =>
        builder.UseSqlite(connectionString, o => o.MigrationsAssembly(migrations));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DbContextOptionsBuilder UsePostgreSql(DbContextOptionsBuilder builder, string connectionString, string migrations) =>
        builder.UseNpgsql(WithNpgsqlDefaults(connectionString), o => o.MigrationsAssembly(migrations));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DbContextOptionsBuilder UseSqlServer(DbContextOptionsBuilder builder, string connectionString, string migrations) =>
        builder.UseSqlServer(connectionString, o => o.MigrationsAssembly(migrations));

    /// <summary>
    /// Two Npgsql settings for the statements a node runs over and over (token lookups and writes), each applied only
    /// when the connection string does not set it itself (docs/performance.md):
    /// <list type="bullet">
    /// <item>auto-prepare, so PostgreSQL stops parsing and planning them at every call (refresh_token grants +27 %).
    /// Behind PgBouncer in transaction mode before 1.21, set <c>Max Auto Prepare=0</c>.</item>
    /// <item><c>No Reset On Close</c>: EF Core opens and closes the connection around every command, and Npgsql
    /// otherwise sends a reset (<c>RESET ALL; DISCARD …</c>) before the next one, one extra round trip per statement.
    /// Plinto sets no session state that could leak between uses (its only advisory lock, <see cref="StartupLock"/>,
    /// is released explicitly).</item>
    /// </list>
    /// </summary>
    internal static string WithNpgsqlDefaults(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!Mentions(connectionString, "Auto Prepare", "AutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        if (!Mentions(connectionString, "No Reset On Close", "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;

        static bool Mentions(string value, string spaced, string joined) =>
            value.Contains(spaced, StringComparison.OrdinalIgnoreCase) || value.Contains(joined, StringComparison.OrdinalIgnoreCase);
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
