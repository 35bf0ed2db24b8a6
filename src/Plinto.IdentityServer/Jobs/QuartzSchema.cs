using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore.Migrations;
using Quartz;

namespace Plinto.IdentityServer.Jobs;

/// <summary>
/// The Quartz clustered job store's tables, created by our EF Core migrations (PostgreSQL and SQL Server) so that
/// a node never needs DDL rights at run time and one migration run prepares everything a node uses.
/// The statements are the create-if-missing script that ships inside the Quartz assembly for that dialect, so
/// the tables always match the Quartz version they were created with; a Quartz upgrade that changes the schema
/// comes with a migration of ours that applies Quartz's upgrade script.
/// </summary>
internal static partial class QuartzSchema
{
    public const string TablePrefix = "qrtz_";

    /// <summary>Adds the statements of Quartz's <paramref name="dialect"/> script (<c>postgres</c>, <c>sqlServer</c>).</summary>
    public static void Create(MigrationBuilder migrationBuilder, string dialect)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        foreach (var statement in Statements(dialect))
        {
            migrationBuilder.Sql(statement);
        }
    }

    /// <summary>Drops the tables that <see cref="Create"/> made, dependants first.</summary>
    public static void Drop(MigrationBuilder migrationBuilder, string dialect)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        var tables = Statements(dialect)
            .Select(statement => TableName().Match(statement))
            .Where(match => match.Success)
            .Select(match => match.Groups["table"].Value)
            .Reverse();
        foreach (var table in tables)
        {
            migrationBuilder.DropTable(table);
        }
    }

    public static IReadOnlyList<string> Statements(string dialect)
    {
        var resource = $"Quartz.Impl.AdoJobStore.Schema.create_{dialect}.sql";
        using var stream = typeof(IScheduler).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The Quartz assembly has no schema script '{resource}'.");
        using var reader = new StreamReader(stream);
        var script = reader.ReadToEnd();

        // The script separates statements by a line reading exactly "--;;"; {0} is the table prefix with an
        // optional schema qualifier, {1} the prefix without it (we use none).
        return script.ReplaceLineEndings("\n")
            .Split("\n--;;\n")
            .Select(piece => string.Join('\n', piece.Split('\n').Where(line => !line.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim())
            .Where(piece => piece.Length > 0)
            .Select(piece => piece.Replace("{0}", TablePrefix, StringComparison.Ordinal).Replace("{1}", TablePrefix, StringComparison.Ordinal))
            .ToList();
    }

    [GeneratedRegex(@"CREATE TABLE (IF NOT EXISTS )?(?<table>[A-Za-z0-9_]+)", RegexOptions.IgnoreCase)]
    private static partial Regex TableName();
}
