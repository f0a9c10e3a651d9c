using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class KeySnapshotReadErrors : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "DetailsReadAt",
                table: "KeySnapshots",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ReadErrorAt",
                table: "KeySnapshots",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReadErrorCode",
                table: "KeySnapshots",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReadErrorMessage",
                table: "KeySnapshots",
                type: "TEXT",
                nullable: true);

            // Rows synced before this migration were read in full at SyncedAt.
            migrationBuilder.Sql("UPDATE \"KeySnapshots\" SET \"DetailsReadAt\" = \"SyncedAt\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DetailsReadAt",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "ReadErrorAt",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "ReadErrorCode",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "ReadErrorMessage",
                table: "KeySnapshots");
        }
    }
}
