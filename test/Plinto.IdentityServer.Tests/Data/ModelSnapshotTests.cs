using Microsoft.EntityFrameworkCore;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Tests.Data;

/// <summary>
/// Each provider's migrations describe the model the host builds: an entity or configuration changed without a
/// migration (or a configuration class the context does not apply) would otherwise surface only on a live database.
/// </summary>
internal sealed class ModelSnapshotTests
{
    [TestCase(DatabaseProvider.Sqlite, "Data Source=unused.db")]
    [TestCase(DatabaseProvider.PostgreSql, "Host=127.0.0.1;Database=unused")]
    [TestCase(DatabaseProvider.SqlServer, "Server=127.0.0.1;Database=unused")]
    public void The_migrations_of_each_provider_match_the_model(DatabaseProvider provider, string connectionString)
    {
        // No connection is opened: the check compares the latest migration's snapshot with the model.
        using var db = PlintoDbContextOptions.CreateForDesignTime(provider, connectionString);

        Assert.That(db.Database.GetMigrations(), Is.Not.Empty, $"{provider} has migrations");
        Assert.That(db.Database.HasPendingModelChanges(), Is.False,
            $"the model differs from the {provider} migrations: add a migration (docs/development.md)");
    }
}
