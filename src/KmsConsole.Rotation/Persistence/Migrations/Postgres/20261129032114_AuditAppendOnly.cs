using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The audit trail is append-only in the database too (see the SQLite migration of the same name).
            migrationBuilder.Sql("""
                CREATE FUNCTION kmsconsole_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'audit events are append-only';
                END;
                $$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "AuditEvents_append_only" BEFORE UPDATE OR DELETE ON "AuditEvents"
                FOR EACH ROW EXECUTE FUNCTION kmsconsole_audit_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "AuditEvents_append_only" ON "AuditEvents";""");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS kmsconsole_audit_append_only();");
        }
    }
}
