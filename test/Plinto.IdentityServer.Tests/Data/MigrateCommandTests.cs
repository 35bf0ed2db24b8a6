using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Plinto.IdentityServer.Tests.Data;

/// <summary>The host binary's `migrate` command, run as an operator runs it, in a separate process.</summary>
internal sealed class MigrateCommandTests
{
    [Test]
    public async Task Migrate_applies_every_migration_and_exits()
    {
        var folder = Directory.CreateTempSubdirectory("plinto-migrate-").FullName;
        var database = Path.Combine(folder, "plinto.db");
        var host = Path.Combine(AppContext.BaseDirectory, "Plinto.IdentityServer.dll");
        Assert.That(File.Exists(host), Is.True, host);

        var start = new ProcessStartInfo("dotnet", [host, "migrate"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Plinto__Database__Provider"] = "Sqlite";
        start.Environment["Plinto__Database__ConnectionString"] = $"Data Source={database}";
        // Nothing but the database: the Helm chart's migration job has no issuer, keys or mail settings.
        start.Environment["Plinto__DataDirectory"] = folder;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        Assert.That(process.ExitCode, Is.EqualTo(0), await output + await errors);
        await using var connection = new SqliteConnection($"Data Source={database}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM \"__EFMigrationsHistory\"; ";
        Assert.That((long)(await command.ExecuteScalarAsync())!, Is.GreaterThanOrEqualTo(1));
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('AspNetUsers', 'AspNetUserPasskeys', 'OpenIddictTokens', 'DataProtectionKeys')";
        Assert.That((long)(await command.ExecuteScalarAsync())!, Is.EqualTo(4));
        Assert.That(Directory.Exists(Path.Combine(folder, "keys")), Is.False, "migrate generated no keys");
    }
}
