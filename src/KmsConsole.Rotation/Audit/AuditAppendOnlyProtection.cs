using System.Data.Common;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace KmsConsole.Rotation.Audit;

/// <summary>
/// The database's own refusal to update or delete an audit event, as the AuditAppendOnly migrations create it:
/// two triggers on SQLite, a trigger and its function on PostgreSQL. Finds what is missing, disabled or replaced
/// by something that no longer refuses, and puts back exactly what the migration made (a test compares the two).
/// </summary>
internal static class AuditAppendOnlyProtection
{
    private static readonly (string Name, string Sql)[] SqliteTriggers =
    [
        ("AuditEvents_append_only_update", "CREATE TRIGGER AuditEvents_append_only_update BEFORE UPDATE ON AuditEvents BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"),
        ("AuditEvents_append_only_delete", "CREATE TRIGGER AuditEvents_append_only_delete BEFORE DELETE ON AuditEvents BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"),
    ];

    private const string PostgresTrigger = "AuditEvents_append_only";
    private const string PostgresFunction = "kmsconsole_audit_append_only";

    private const string PostgresFunctionSql = """
        CREATE OR REPLACE FUNCTION kmsconsole_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit events are append-only';
        END;
        $$;
        """;

    private const string PostgresTriggerSql = """
        CREATE TRIGGER "AuditEvents_append_only" BEFORE UPDATE OR DELETE ON "AuditEvents"
        FOR EACH ROW EXECUTE FUNCTION kmsconsole_audit_append_only();
        """;

    /// <summary>Each protection that is not in place, in words an operator reads; empty when all are.</summary>
    public static async Task<IReadOnlyList<string>> FindMissingAsync(RotationDbContext db, CancellationToken cancellationToken) =>
        db.Database.IsNpgsql() ? await FindMissingOnPostgresAsync(db, cancellationToken) : await FindMissingOnSqliteAsync(db, cancellationToken);

    /// <summary>Creates again what <see cref="FindMissingAsync"/> reported, in the caller's transaction.</summary>
    public static async Task RestoreAsync(RotationDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await ExecuteAsync(db, PostgresFunctionSql, cancellationToken);
            await ExecuteAsync(db, $"""DROP TRIGGER IF EXISTS "{PostgresTrigger}" ON "AuditEvents";""", cancellationToken);
            await ExecuteAsync(db, PostgresTriggerSql, cancellationToken);
            return;
        }

        foreach (var (name, sql) in SqliteTriggers)
        {
            await ExecuteAsync(db, $"DROP TRIGGER IF EXISTS {name};", cancellationToken);
            await ExecuteAsync(db, sql + ";", cancellationToken);
        }
    }

    private static async Task<IReadOnlyList<string>> FindMissingOnSqliteAsync(RotationDbContext db, CancellationToken cancellationToken)
    {
        var present = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        await using (var reader = await QueryAsync(db, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'AuditEvents'", cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                present[reader.GetString(0)] = reader.IsDBNull(1) ? "" : reader.GetString(1);
            }
        }

        var missing = new List<string>();
        foreach (var (name, sql) in SqliteTriggers)
        {
            if (!present.TryGetValue(name, out var actual))
            {
                missing.Add($"the trigger {name} was dropped");
            }
            else if (Normalized(actual) != Normalized(sql))
            {
                missing.Add($"the trigger {name} was replaced by one that does not refuse the change");
            }
        }

        return missing;
    }

    private static async Task<IReadOnlyList<string>> FindMissingOnPostgresAsync(RotationDbContext db, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        string? definition = null;
        var enabled = false;
        await using (var reader = await QueryAsync(db, $"""
            SELECT pg_get_triggerdef(t.oid), t.tgenabled <> 'D'
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE c.relname = 'AuditEvents' AND t.tgname = '{PostgresTrigger}' AND c.relnamespace = current_schema()::regnamespace
            """, cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                definition = reader.GetString(0);
                enabled = reader.GetBoolean(1);
            }
        }

        if (definition is null)
        {
            missing.Add($"the trigger {PostgresTrigger} was dropped");
        }
        else if (!enabled)
        {
            missing.Add($"the trigger {PostgresTrigger} was disabled");
        }
        else if (!(definition.Contains("BEFORE DELETE OR UPDATE", StringComparison.Ordinal) && definition.Contains("FOR EACH ROW", StringComparison.Ordinal)
                   && definition.Contains($"{PostgresFunction}()", StringComparison.Ordinal)))
        {
            missing.Add($"the trigger {PostgresTrigger} was replaced by one that no longer covers every update and delete");
        }

        string? body = null;
        await using (var reader = await QueryAsync(db, $"SELECT prosrc FROM pg_proc WHERE proname = '{PostgresFunction}' AND pronamespace = current_schema()::regnamespace", cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                body = reader.GetString(0);
            }
        }

        if (body is null)
        {
            missing.Add($"the function {PostgresFunction} was dropped");
        }
        else if (!body.Contains("RAISE EXCEPTION", StringComparison.OrdinalIgnoreCase))
        {
            missing.Add($"the function {PostgresFunction} was replaced by one that does not refuse the change");
        }

        return missing;
    }

    private static string Normalized(string sql) => string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).TrimEnd(';').Trim();

    private static async Task<DbDataReader> QueryAsync(RotationDbContext db, string sql, CancellationToken cancellationToken)
    {
        var command = await CommandAsync(db, sql, cancellationToken);
        return await command.ExecuteReaderAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(RotationDbContext db, string sql, CancellationToken cancellationToken)
    {
        await using var command = await CommandAsync(db, sql, cancellationToken);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<DbCommand> CommandAsync(RotationDbContext db, string sql, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        return command;
    }
}
