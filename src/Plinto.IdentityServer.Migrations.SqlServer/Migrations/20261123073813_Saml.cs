using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Plinto.IdentityServer.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class Saml : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PlintoSamlConnections",
                columns: table => new
                {
                    Id = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    OrganizationId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "nvarchar(100)", maxLength: 100, nullable: false),
                    Enabled = table.Column<bool>(type: "bit", nullable: false),
                    IdpEntityId = table.Column<string>(type: "nvarchar(1024)", maxLength: 1024, nullable: false),
                    IdpSsoUrl = table.Column<string>(type: "nvarchar(2048)", maxLength: 2048, nullable: false),
                    IdpCertificates = table.Column<string>(type: "nvarchar(max)", nullable: false),
                    MetadataUrl = table.Column<string>(type: "nvarchar(2048)", maxLength: 2048, nullable: true),
                    CertificatesExpireAt = table.Column<long>(type: "bigint", nullable: true),
                    NameIdFormat = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: true),
                    RequireSignedResponse = table.Column<bool>(type: "bit", nullable: false),
                    RequireSignedAssertion = table.Column<bool>(type: "bit", nullable: false),
                    ClockSkewSeconds = table.Column<int>(type: "int", nullable: false),
                    AllowIdpInitiated = table.Column<bool>(type: "bit", nullable: false),
                    IdpInitiatedClientId = table.Column<string>(type: "nvarchar(100)", maxLength: 100, nullable: true),
                    EmailAttribute = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    GivenNameAttribute = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: true),
                    FamilyNameAttribute = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: true),
                    GroupsAttribute = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: true),
                    GroupRoles = table.Column<string>(type: "nvarchar(max)", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ModifiedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoSamlConnections", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlintoSamlConnections_PlintoOrganizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoSamlReplays",
                columns: table => new
                {
                    ConnectionId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    AssertionId = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoSamlReplays", x => new { x.ConnectionId, x.AssertionId });
                });

            migrationBuilder.CreateTable(
                name: "PlintoSamlIdentities",
                columns: table => new
                {
                    ConnectionId = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    NameId = table.Column<string>(type: "nvarchar(512)", maxLength: 512, nullable: false),
                    UserId = table.Column<string>(type: "nvarchar(450)", maxLength: 450, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastSignInAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoSamlIdentities", x => new { x.ConnectionId, x.NameId });
                    table.ForeignKey(
                        name: "FK_PlintoSamlIdentities_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PlintoSamlIdentities_PlintoSamlConnections_ConnectionId",
                        column: x => x.ConnectionId,
                        principalTable: "PlintoSamlConnections",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoSamlConnections_OrganizationId",
                table: "PlintoSamlConnections",
                column: "OrganizationId");

            migrationBuilder.CreateIndex(
                name: "IX_PlintoSamlIdentities_UserId",
                table: "PlintoSamlIdentities",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_PlintoSamlReplays_ExpiresAt",
                table: "PlintoSamlReplays",
                column: "ExpiresAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PlintoSamlIdentities");

            migrationBuilder.DropTable(
                name: "PlintoSamlReplays");

            migrationBuilder.DropTable(
                name: "PlintoSamlConnections");
        }
    }
}
