using Npgsql;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Tests.Infrastructure;

/// <summary>
/// Where each test fixture's database lives. PostgreSQL is the real server the test script starts; its
/// connection string comes from PLINTO_TEST_POSTGRES. Without it the PostgreSQL fixtures fail (never skip).
/// </summary>
internal static class TestDatabases
{
    public const string PostgresVariable = "PLINTO_TEST_POSTGRES";

    /// <summary>Every fixture that takes a provider runs once per database.</summary>
    public static readonly DatabaseProvider[] All = [DatabaseProvider.Sqlite, DatabaseProvider.PostgreSql];

    public static async Task<string> CreateAsync(DatabaseProvider provider, string folder)
    {
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                return $"Data Source={Path.Combine(folder, "plinto.db")}";
            case DatabaseProvider.PostgreSql:
                var server = Environment.GetEnvironmentVariable(PostgresVariable);
                if (string.IsNullOrWhiteSpace(server))
                {
                    throw new InvalidOperationException(
                        $"{PostgresVariable} is not set. Run the tests with ./build.sh test, which starts a throwaway PostgreSQL.");
                }

                var name = "plinto_test_" + Guid.NewGuid().ToString("N");
                await using (var connection = new NpgsqlConnection(server))
                {
                    await connection.OpenAsync();
                    await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                    await command.ExecuteNonQueryAsync();
                }

                return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "No test database for this provider.");
        }
    }
}
