using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Plinto.IdentityServer.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class PasskeyCeremonies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PlintoUsedPasskeyCeremonies",
                columns: table => new
                {
                    Id = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoUsedPasskeyCeremonies", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoUsedPasskeyCeremonies_ExpiresAt",
                table: "PlintoUsedPasskeyCeremonies",
                column: "ExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PlintoUsedPasskeyCeremonies");
        }
    }
}
