using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Audit;

/// <summary>
/// "Subject contains": the text anywhere in the subject, whatever its case, taken literally. Answered from the distinct
/// subjects and their trigram index (the AuditSubjectTrigramSearch migrations), then the events of the subjects found
/// through the index by subject, never by a scan of the events. SQLite: FTS5 (tokenize 'trigram') reads a quoted phrase
/// as that exact run of characters; PostgreSQL: pg_trgm's GIN index serves ILIKE. A trigram needs three characters: a
/// shorter search reads the distinct subjects one by one (a few thousand rows, not a million events).
/// </summary>
internal static class AuditSubjectSearch
{
    public const int ShortestIndexed = 3;

    public static IQueryable<AuditEvent> Containing(RotationDbContext db, IQueryable<AuditEvent> query, string subject)
    {
        var subjects = Matching(db, subject);
        return query.Where(e => subjects.Contains(e.Subject));
    }

    private static IQueryable<string> Matching(RotationDbContext db, string subject)
    {
        var pattern = $"%{Escaped(subject)}%";
        if (db.Database.IsNpgsql())
        {
            return db.Database.SqlQuery<string>($"""SELECT "Subject" AS "Value" FROM "AuditSubjects" WHERE "Subject" ILIKE {pattern} ESCAPE '\'""");
        }

        if (subject.Length < ShortestIndexed)
        {
            return db.Database.SqlQuery<string>($"SELECT Subject AS Value FROM AuditSubjects WHERE Subject LIKE {pattern} ESCAPE '\\'");
        }

        var phrase = $"\"{subject.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        return db.Database.SqlQuery<string>(
            $"SELECT s.Subject AS Value FROM AuditSubjects s WHERE s.rowid IN (SELECT rowid FROM AuditSubjectSearch WHERE AuditSubjectSearch MATCH {phrase})");
    }

    /// <summary>The user's text taken literally: % and _ are characters of a subject, not wildcards.</summary>
    private static string Escaped(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
