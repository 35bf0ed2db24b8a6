using Microsoft.EntityFrameworkCore.Design;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Migrations.SqlServer;

/// <summary>Used by dotnet-ef only: builds the model for SQL Server without starting the host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PlintoDbContext>
{
    public PlintoDbContext CreateDbContext(string[] args) =>
        PlintoDbContextOptions.CreateForDesignTime(DatabaseProvider.SqlServer, "Server=localhost;Database=plinto_design;Trusted_Connection=True");
}
