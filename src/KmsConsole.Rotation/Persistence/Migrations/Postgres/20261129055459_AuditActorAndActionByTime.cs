using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditActorAndActionByTime : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_Action_Time",
                table: "AuditEvents",
                columns: new[] { "Action", "Time" });

            migrationBuilder.CreateIndex(
                name: "IX_AuditEvents_Actor_Time",
                table: "AuditEvents",
                columns: new[] { "Actor", "Time" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_AuditEvents_Action_Time",
                table: "AuditEvents");

            migrationBuilder.DropIndex(
                name: "IX_AuditEvents_Actor_Time",
                table: "AuditEvents");
        }
    }
}
