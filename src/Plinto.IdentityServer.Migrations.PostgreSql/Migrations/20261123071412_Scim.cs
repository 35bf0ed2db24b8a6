using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Plinto.IdentityServer.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class Scim : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "ScimDeleteDeactivates",
                table: "PlintoOrganizations",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "PlintoScimGroups",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    DisplayName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    NormalizedDisplayName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    ExternalId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    RoleName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ModifiedAt = table.Column<long>(type: "bigint", nullable: false),
                    Version = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoScimGroups", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlintoScimGroups_PlintoOrganizationRoles_OrganizationId_Rol~",
                        columns: x => new { x.OrganizationId, x.RoleName },
                        principalTable: "PlintoOrganizationRoles",
                        principalColumns: new[] { "OrganizationId", "Name" });
                    table.ForeignKey(
                        name: "FK_PlintoScimGroups_PlintoOrganizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoScimTokens",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Hint = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastUsedAt = table.Column<long>(type: "bigint", nullable: true),
                    RevokedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoScimTokens", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlintoScimTokens_PlintoOrganizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoScimUsers",
                columns: table => new
                {
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    UserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    NormalizedUserName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    ExternalId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Active = table.Column<bool>(type: "boolean", nullable: false),
                    DisplayName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    GivenName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    FamilyName = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Attributes = table.Column<string>(type: "text", nullable: false),
                    CreatedAccount = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ModifiedAt = table.Column<long>(type: "bigint", nullable: false),
                    Version = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoScimUsers", x => new { x.OrganizationId, x.UserId });
                    table.ForeignKey(
                        name: "FK_PlintoScimUsers_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PlintoScimUsers_PlintoOrganizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoScimUserEmails",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    Value = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    NormalizedValue = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    Primary = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoScimUserEmails", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlintoScimUserEmails_PlintoScimUsers_OrganizationId_UserId",
                        columns: x => new { x.OrganizationId, x.UserId },
                        principalTable: "PlintoScimUsers",
                        principalColumns: new[] { "OrganizationId", "UserId" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimGroups_OrganizationId_NormalizedDisplayName",
                table: "PlintoScimGroups",
                columns: new[] { "OrganizationId", "NormalizedDisplayName" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimGroups_OrganizationId_RoleName",
                table: "PlintoScimGroups",
                columns: new[] { "OrganizationId", "RoleName" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimTokens_OrganizationId",
                table: "PlintoScimTokens",
                column: "OrganizationId");

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimTokens_TokenHash",
                table: "PlintoScimTokens",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimUserEmails_OrganizationId_NormalizedValue",
                table: "PlintoScimUserEmails",
                columns: new[] { "OrganizationId", "NormalizedValue" });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimUserEmails_OrganizationId_UserId",
                table: "PlintoScimUserEmails",
                columns: new[] { "OrganizationId", "UserId" });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimUsers_OrganizationId_ExternalId",
                table: "PlintoScimUsers",
                columns: new[] { "OrganizationId", "ExternalId" });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimUsers_OrganizationId_NormalizedUserName",
                table: "PlintoScimUsers",
                columns: new[] { "OrganizationId", "NormalizedUserName" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PlintoScimUsers_UserId",
                table: "PlintoScimUsers",
                column: "UserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PlintoScimGroups");

            migrationBuilder.DropTable(
                name: "PlintoScimTokens");

            migrationBuilder.DropTable(
                name: "PlintoScimUserEmails");

            migrationBuilder.DropTable(
                name: "PlintoScimUsers");

            migrationBuilder.DropColumn(
                name: "ScimDeleteDeactivates",
                table: "PlintoOrganizations");
        }
    }
}
