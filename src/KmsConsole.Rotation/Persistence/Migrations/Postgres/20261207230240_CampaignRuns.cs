using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CampaignRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "CampaignId",
                table: "Runs",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DeletionWaitingSince",
                table: "Campaigns",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "FateWaitingSince",
                table: "Campaigns",
                type: "bigint",
                nullable: true);

            // Runs that campaigns started before runs knew their campaign.
            migrationBuilder.Sql("""UPDATE "Runs" SET "CampaignId" = (SELECT k."CampaignId" FROM "CampaignKeys" k WHERE k."RunId" = "Runs"."Id")""");

            migrationBuilder.CreateIndex(
                name: "IX_Runs_CampaignId",
                table: "Runs",
                column: "CampaignId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Runs_CampaignId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "CampaignId",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "DeletionWaitingSince",
                table: "Campaigns");

            migrationBuilder.DropColumn(
                name: "FateWaitingSince",
                table: "Campaigns");
        }
    }
}
