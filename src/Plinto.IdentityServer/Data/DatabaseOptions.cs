namespace Plinto.IdentityServer.Data;

internal enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
    SqlServer,
}

/// <summary>Bound to <c>Plinto:Database</c>.</summary>
internal sealed class DatabaseOptions
{
    public const string Section = "Plinto:Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Provider connection string; for SQLite the default is a file under the data directory.</summary>
    public string? ConnectionString { get; set; }

    public bool MigrateOnStart { get; set; } = true;
}

internal static class DatabaseProviderNames
{
    // By provider name: EF Core's IsSqlite() and IsNpgsql() live in the providers' assemblies, so calling them would
    // load the SQLite and PostgreSQL providers on every node, whichever it uses (docs/performance.md, lever 17).
    public static bool RunsOnSqlite(this PlintoDbContext context) =>
        context.Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";

    public static bool RunsOnPostgreSql(this PlintoDbContext context) =>
        context.Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";
}
