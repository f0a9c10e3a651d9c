using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RunCancelRequest : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CancelReason",
                table: "Runs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CancelRequestedAt",
                table: "Runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CancelRequestedBy",
                table: "Runs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CancelRequestedByName",
                table: "Runs",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CancelReason",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "CancelRequestedAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "CancelRequestedBy",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "CancelRequestedByName",
                table: "Runs");
        }
    }
}
