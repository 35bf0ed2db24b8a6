using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Plinto.IdentityServer.Data;

/// <summary>
/// Whether a database has EF Core's migration history table, asked without a failing statement. EF Core reads that
/// table to learn what is applied; on a database that has none yet (a fresh PostgreSQL database, as the Helm chart and
/// the compose file create it) the read fails inside EF Core, which handles it but logs it at Error ("Failed executing
/// DbCommand … __EFMigrationsHistory", dotnet/efcore#37328): two `fail` lines on every first start, which alerting
/// on errors reports. <see cref="DataServiceCollectionExtensions.MigratePlintoDatabaseAsync"/> asks the catalog
/// first and creates the table before EF Core's first read of it.
/// </summary>
internal static class MigrationState
{
    /// <summary>Whether the database has EF Core's history table, from its catalog.</summary>
    public static async Task<bool> HistoryTableExistsAsync(PlintoDbContext context, CancellationToken cancellationToken)
    {
        // Plinto keeps EF Core's default history table (no MigrationsHistoryTable call in PlintoDbContextOptions).
        const string table = HistoryRepository.DefaultTableName;
        // Resolved as EF Core resolves the unqualified name it reads: through PostgreSQL's search_path (to_regclass; the
        // first schema of the path is not enough when an earlier schema exists without the table), SQL Server's
        // default-schema-then-dbo rule (OBJECT_ID).
        var sql = context.RunsOnSqlite() ? $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
            : context.RunsOnPostgreSql() ? $"SELECT CASE WHEN to_regclass('\"{table}\"') IS NULL THEN 0 ELSE 1 END"
            : $"SELECT CASE WHEN OBJECT_ID(N'[{table}]', N'U') IS NULL THEN 0 ELSE 1 END";
        // EF Core counts opens: a connection the caller already holds open stays open after the close below.
        await context.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = context.Database.GetDbConnection().CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
        finally
        {
            await context.Database.CloseConnectionAsync();
        }
    }
}
