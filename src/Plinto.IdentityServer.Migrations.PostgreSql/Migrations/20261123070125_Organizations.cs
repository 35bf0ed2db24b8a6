using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Plinto.IdentityServer.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class Organizations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "PlintoAuditEntries",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OccurredAt = table.Column<long>(type: "bigint", nullable: false),
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Actor = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    Action = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Target = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    Data = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoAuditEntries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PlintoOrganizations",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Slug = table.Column<string>(type: "character varying(48)", maxLength: 48, nullable: false),
                    LogoUrl = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    PrimaryColor = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    Version = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    RequireMfa = table.Column<bool>(type: "boolean", nullable: false),
                    AllowedMethods = table.Column<int>(type: "integer", nullable: false),
                    SessionLifetimeMinutes = table.Column<int>(type: "integer", nullable: true),
                    AutoJoinVerifiedDomains = table.Column<bool>(type: "boolean", nullable: false),
                    DefaultRole = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoOrganizations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PlintoRetiredOrganizationSlugs",
                columns: table => new
                {
                    Slug = table.Column<string>(type: "character varying(48)", maxLength: 48, nullable: false),
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    RetiredAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoRetiredOrganizationSlugs", x => x.Slug);
                });

            migrationBuilder.CreateTable(
                name: "PlintoOrganizationDomains",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: false),
                    VerificationToken = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    VerifiedAt = table.Column<long>(type: "bigint", nullable: true),
                    VerifiedBy = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    VerifiedName = table.Column<string>(type: "character varying(253)", maxLength: 253, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoOrganizationDomains", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationDomains_PlintoOrganizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoOrganizationGrants",
                columns: table => new
                {
                    AuthorizationId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoOrganizationGrants", x => x.AuthorizationId);
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationGrants_OpenIddictAuthorizations_Authoriza~",
                        column: x => x.AuthorizationId,
                        principalTable: "OpenIddictAuthorizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationGrants_PlintoOrganizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoOrganizationInvitations",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    NormalizedEmail = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Email = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    RoleName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    InvitedBy = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    AcceptedAt = table.Column<long>(type: "bigint", nullable: true),
                    AcceptedBy = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: true),
                    RevokedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoOrganizationInvitations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationInvitations_PlintoOrganizations_Organizat~",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoOrganizationMembers",
                columns: table => new
                {
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    JoinedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoOrganizationMembers", x => new { x.OrganizationId, x.UserId });
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationMembers_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationMembers_PlintoOrganizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoOrganizationPermissions",
                columns: table => new
                {
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Description = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoOrganizationPermissions", x => new { x.OrganizationId, x.Name });
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationPermissions_PlintoOrganizations_Organizat~",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoOrganizationRoles",
                columns: table => new
                {
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Description = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Permissions = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    BuiltIn = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoOrganizationRoles", x => new { x.OrganizationId, x.Name });
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationRoles_PlintoOrganizations_OrganizationId",
                        column: x => x.OrganizationId,
                        principalTable: "PlintoOrganizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlintoOrganizationMemberRoles",
                columns: table => new
                {
                    OrganizationId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: false),
                    RoleName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlintoOrganizationMemberRoles", x => new { x.OrganizationId, x.UserId, x.RoleName });
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationMemberRoles_PlintoOrganizationMembers_Org~",
                        columns: x => new { x.OrganizationId, x.UserId },
                        principalTable: "PlintoOrganizationMembers",
                        principalColumns: new[] { "OrganizationId", "UserId" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PlintoOrganizationMemberRoles_PlintoOrganizationRoles_Organ~",
                        columns: x => new { x.OrganizationId, x.RoleName },
                        principalTable: "PlintoOrganizationRoles",
                        principalColumns: new[] { "OrganizationId", "Name" });
                });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoAuditEntries_OrganizationId_OccurredAt",
                table: "PlintoAuditEntries",
                columns: new[] { "OrganizationId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizationDomains_Name",
                table: "PlintoOrganizationDomains",
                column: "Name");

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizationDomains_OrganizationId_Name",
                table: "PlintoOrganizationDomains",
                columns: new[] { "OrganizationId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizationDomains_VerifiedName",
                table: "PlintoOrganizationDomains",
                column: "VerifiedName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizationGrants_OrganizationId_UserId",
                table: "PlintoOrganizationGrants",
                columns: new[] { "OrganizationId", "UserId" });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizationInvitations_OrganizationId",
                table: "PlintoOrganizationInvitations",
                column: "OrganizationId");

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizationInvitations_TokenHash",
                table: "PlintoOrganizationInvitations",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizationMemberRoles_OrganizationId_RoleName",
                table: "PlintoOrganizationMemberRoles",
                columns: new[] { "OrganizationId", "RoleName" });

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizationMembers_UserId",
                table: "PlintoOrganizationMembers",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_PlintoOrganizations_Slug",
                table: "PlintoOrganizations",
                column: "Slug",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PlintoAuditEntries");

            migrationBuilder.DropTable(
                name: "PlintoOrganizationDomains");

            migrationBuilder.DropTable(
                name: "PlintoOrganizationGrants");

            migrationBuilder.DropTable(
                name: "PlintoOrganizationInvitations");

            migrationBuilder.DropTable(
                name: "PlintoOrganizationMemberRoles");

            migrationBuilder.DropTable(
                name: "PlintoOrganizationPermissions");

            migrationBuilder.DropTable(
                name: "PlintoRetiredOrganizationSlugs");

            migrationBuilder.DropTable(
                name: "PlintoOrganizationMembers");

            migrationBuilder.DropTable(
                name: "PlintoOrganizationRoles");

            migrationBuilder.DropTable(
                name: "PlintoOrganizations");
        }
    }
}
