using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class KeyLastUseReadAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "LastUseReadAt",
                table: "KeySnapshots",
                type: "INTEGER",
                nullable: true);

            // Until now a key's last use was read with its details.
            migrationBuilder.Sql("""UPDATE "KeySnapshots" SET "LastUseReadAt" = "DetailsReadAt" WHERE "UsageTrackingStartDate" IS NOT NULL OR "LastUseErrorCode" IS NOT NULL""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "LastUseReadAt",
                table: "KeySnapshots");
        }
    }
}
