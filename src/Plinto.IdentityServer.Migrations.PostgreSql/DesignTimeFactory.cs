using Microsoft.EntityFrameworkCore.Design;
using Plinto.IdentityServer.Data;

namespace Plinto.IdentityServer.Migrations.PostgreSql;

/// <summary>Used by dotnet-ef only: builds the model for PostgreSQL without starting the host.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PlintoDbContext>
{
    public PlintoDbContext CreateDbContext(string[] args) =>
        PlintoDbContextOptions.CreateForDesignTime(DatabaseProvider.PostgreSql, "Host=localhost;Database=plinto_design");
}
