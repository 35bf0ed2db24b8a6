using Microsoft.EntityFrameworkCore.Migrations;
using Plinto.IdentityServer.Jobs;

#nullable disable

namespace Plinto.IdentityServer.Migrations.SqlServer.Migrations
{
    /// <summary>The Quartz clustered job store (see <c>Jobs/QuartzSchema.cs</c>).</summary>
    public partial class QuartzJobStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            QuartzSchema.Create(migrationBuilder, "sqlServer");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            QuartzSchema.Drop(migrationBuilder, "sqlServer");
        }
    }
}
