using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace KmsConsole.Rotation.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditSubjectTrigramSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // "Subject contains" scanned every event. Subjects repeat (one per key, alias, grant, run), so the distinct
            // subjects get a pg_trgm GIN index, which answers ILIKE '%…%', and the events a B-tree by subject: a search
            // finds the few matching subjects, then their events by index. Events are only ever appended, so an insert
            // trigger keeps the subjects complete. pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner
            // may create it.
            migrationBuilder.Sql("CREATE EXTENSION IF NOT EXISTS pg_trgm;");
            migrationBuilder.Sql("""CREATE TABLE "AuditSubjects" ("Subject" text NOT NULL CONSTRAINT "PK_AuditSubjects" PRIMARY KEY);""");
            migrationBuilder.Sql("""CREATE INDEX "IX_AuditSubjects_Subject_trgm" ON "AuditSubjects" USING gin ("Subject" gin_trgm_ops);""");
            migrationBuilder.Sql("""CREATE INDEX "IX_AuditEvents_Subject" ON "AuditEvents" ("Subject");""");
            migrationBuilder.Sql("""INSERT INTO "AuditSubjects" ("Subject") SELECT DISTINCT "Subject" FROM "AuditEvents";""");
            migrationBuilder.Sql("""
                CREATE FUNCTION kmsconsole_audit_subject() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO "AuditSubjects" ("Subject") VALUES (NEW."Subject") ON CONFLICT DO NOTHING;
                    RETURN NULL;
                END;
                $$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "AuditEvents_subject_search" AFTER INSERT ON "AuditEvents"
                FOR EACH ROW EXECUTE FUNCTION kmsconsole_audit_subject();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP TRIGGER IF EXISTS "AuditEvents_subject_search" ON "AuditEvents";""");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS kmsconsole_audit_subject();");
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_AuditEvents_Subject";""");
            migrationBuilder.Sql("""DROP TABLE IF EXISTS "AuditSubjects";""");
        }
    }
}
