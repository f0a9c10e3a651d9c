using System.Globalization;
using System.Text;

namespace KmsConsole.Rotation.Audit;

/// <summary>
/// The audit export's CSV (RFC 4180) in a form that round-trips: the time to the tick, as the hash covers it, and every
/// value as stored, so each row's hash can be recomputed offline. A value a spreadsheet would run as a formula (first
/// character = + - @ tab CR) gets a leading apostrophe; so does a value that itself starts with an apostrophe, which
/// makes the rule reversible: a reader drops exactly one leading apostrophe.
/// </summary>
public static class AuditCsv
{
    public const string Header = "Sequence,Time,Actor,Action,Subject,Details,AwsRequestId,RunId,PreviousHash,Hash";

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private const string Defused = "=+-@\t\r'";

    public static string Row(AuditEvent e) => string.Join(',',
        e.Sequence.ToString(CultureInfo.InvariantCulture),
        e.Time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture),
        Field(e.Actor), Field(e.Action), Field(e.Subject), Field(e.Details), Field(e.AwsRequestId ?? ""),
        e.RunId?.ToString() ?? "", e.PreviousHash, e.Hash);

    /// <summary>The events of an export, in file order; a malformed row throws <see cref="FormatException"/> naming its line.</summary>
    public static IEnumerable<AuditEvent> Read(TextReader reader)
    {
        var line = 1;
        var header = ReadRecord(reader);
        if (header is null || string.Join(',', header) != Header)
        {
            throw new FormatException($"Line 1 is not the audit export's header ({Header}).");
        }

        while (ReadRecord(reader) is { } fields)
        {
            line++;
            if (fields is [""])
            {
                continue;
            }

            yield return Parse(fields, line);
        }
    }

    private static AuditEvent Parse(List<string> f, int line)
    {
        if (f.Count != 10)
        {
            throw new FormatException($"Line {line} has {f.Count} fields; an audit export row has 10.");
        }

        if (!long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !DateTime.TryParseExact(f[1], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            || (f[7].Length > 0 && !Guid.TryParse(f[7], out _)))
        {
            throw new FormatException($"Line {line}: the sequence, time or run id is not in the export's format.");
        }

        return new AuditEvent
        {
            Sequence = sequence,
            Time = new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
            Actor = Value(f[2]),
            Action = Value(f[3]),
            Subject = Value(f[4]),
            Details = Value(f[5]),
            AwsRequestId = f[6].Length == 0 ? null : Value(f[6]),
            RunId = f[7].Length == 0 ? null : Guid.Parse(f[7]),
            PreviousHash = f[8],
            Hash = f[9],
        };
    }

    private static string Field(string value)
    {
        if (value.Length > 0 && Defused.Contains(value[0], StringComparison.Ordinal))
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string Value(string field) => field.StartsWith('\'') ? field[1..] : field;

    /// <summary>One record; quoted fields may hold commas, doubled quotes and line breaks. Null at the end of the input.</summary>
    private static List<string>? ReadRecord(TextReader reader)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var any = false;
        while (true)
        {
            var read = reader.Read();
            if (read < 0)
            {
                if (!any)
                {
                    return null;
                }

                fields.Add(field.ToString());
                return fields;
            }

            any = true;
            var c = (char)read;
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (reader.Peek() == '"')
                {
                    reader.Read();
                    field.Append('"');
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(field.ToString());
                return fields;
            }
            else if (c != '\r')
            {
                field.Append(c);
            }
        }
    }
}
