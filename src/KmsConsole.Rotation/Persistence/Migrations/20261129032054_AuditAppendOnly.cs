using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AuditAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The audit trail is append-only in the database too: the application never updates or deletes
            // an event, and these triggers refuse it to anyone else who only has SQL access.
            migrationBuilder.Sql("CREATE TRIGGER AuditEvents_append_only_update BEFORE UPDATE ON AuditEvents BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;");
            migrationBuilder.Sql("CREATE TRIGGER AuditEvents_append_only_delete BEFORE DELETE ON AuditEvents BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS AuditEvents_append_only_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS AuditEvents_append_only_delete;");
        }
    }
}
