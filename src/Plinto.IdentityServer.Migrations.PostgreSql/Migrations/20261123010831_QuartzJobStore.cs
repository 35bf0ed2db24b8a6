using Microsoft.EntityFrameworkCore.Migrations;
using Plinto.IdentityServer.Jobs;

#nullable disable

namespace Plinto.IdentityServer.Migrations.PostgreSql.Migrations
{
    /// <summary>The Quartz clustered job store (see <c>Jobs/QuartzSchema.cs</c>).</summary>
    public partial class QuartzJobStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            QuartzSchema.Create(migrationBuilder, "postgres");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            QuartzSchema.Drop(migrationBuilder, "postgres");
        }
    }
}
