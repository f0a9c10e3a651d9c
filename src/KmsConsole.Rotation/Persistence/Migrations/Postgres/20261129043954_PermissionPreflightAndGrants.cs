using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PermissionPreflightAndGrants : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "PermissionCheck",
                table: "Runs",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "PolicyGrants",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Target = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    RoleArn = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    PolicyName = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    PolicyDocument = table.Column<string>(type: "text", nullable: false),
                    Workflows = table.Column<string>(type: "text", nullable: false),
                    Scope = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    NamedResources = table.Column<string>(type: "text", nullable: true),
                    State = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    RequestedBy = table.Column<string>(type: "text", nullable: false),
                    RequestedByName = table.Column<string>(type: "text", nullable: false),
                    Justification = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    DecidedBy = table.Column<string>(type: "text", nullable: true),
                    DecidedByName = table.Column<string>(type: "text", nullable: true),
                    DecisionComment = table.Column<string>(type: "text", nullable: true),
                    DecidedAt = table.Column<long>(type: "bigint", nullable: true),
                    ApplyAttempts = table.Column<int>(type: "integer", nullable: false),
                    AppliedAt = table.Column<long>(type: "bigint", nullable: true),
                    PolicyArn = table.Column<string>(type: "text", nullable: true),
                    PolicyVersionId = table.Column<string>(type: "text", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true),
                    Version = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PolicyGrants", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_PolicyGrants_CreatedAt",
                table: "PolicyGrants",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_PolicyGrants_State_CreatedAt",
                table: "PolicyGrants",
                columns: new[] { "State", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PolicyGrants");

            migrationBuilder.DropColumn(
                name: "PermissionCheck",
                table: "Runs");
        }
    }
}
