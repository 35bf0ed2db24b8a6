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
