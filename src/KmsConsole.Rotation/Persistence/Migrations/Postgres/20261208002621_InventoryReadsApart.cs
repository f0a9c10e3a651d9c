using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InventoryReadsApart : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CurrentKeyMaterialId",
                table: "KeySnapshots",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LastUseReadAt",
                table: "KeySnapshots",
                type: "bigint",
                nullable: true);

            // Until now a key's last use was read with its details.
            migrationBuilder.Sql("""UPDATE "KeySnapshots" SET "LastUseReadAt" = "DetailsReadAt" WHERE "UsageTrackingStartDate" IS NOT NULL OR "LastUseErrorCode" IS NOT NULL""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CurrentKeyMaterialId",
                table: "KeySnapshots");

            migrationBuilder.DropColumn(
                name: "LastUseReadAt",
                table: "KeySnapshots");
        }
    }
}
