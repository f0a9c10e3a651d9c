using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class KeyLastUse : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "LastUseErrorCode",
                table: "KeySnapshots",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastUseErrorMessage",
                table: "KeySnapshots",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LastUsedAt",
                table: "KeySnapshots",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastUsedOperation",
                table: "KeySnapshots",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "UsageTrackingStartDate",
                table: "KeySnapshots",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_KeySnapshots_LastUsedAt",
                table: "KeySnapshots",
                column: "LastUsedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_KeySnapshots_LastUsedAt",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "LastUseErrorCode",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "LastUseErrorMessage",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "LastUsedAt",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "LastUsedOperation",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "UsageTrackingStartDate",
                table: "KeySnapshots");
        }
    }
}
