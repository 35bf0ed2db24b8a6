using Microsoft.EntityFrameworkCore.Design;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Migrations.Sqlite;

/// <summary>Used by dotnet-ef only: builds the model for SQLite without starting the host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PlintoDbContext>
{
    public PlintoDbContext CreateDbContext(string[] args) =>
        PlintoDbContextOptions.CreateForDesignTime(DatabaseProvider.Sqlite, "Data Source=design-time.db");
}
