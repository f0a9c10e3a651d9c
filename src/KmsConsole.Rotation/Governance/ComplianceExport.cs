using System.Globalization;
using System.Text.Json;
using CsvHelper;

namespace KmsConsole.Rotation.Governance;

/// <summary>The report an auditor hands over: one row per key × policy, with the policy version and the evaluation time.</summary>
internal static class ComplianceExport
{
    /// <summary>RFC 4180; text that a spreadsheet would run as a formula (a reason quoting AWS, an alias) is escaped to stay text.</summary>
    public static async Task<int> WriteCsvAsync(IAsyncEnumerable<ComplianceRow> rows, Stream output, CancellationToken cancellationToken)
    {
        var count = 0;
        await using var csv = CsvWriter.Create(output, CsvWriterOptions.Default with { Injection = CsvInjection.Escape }, leaveOpen: true);
        await csv.WriteRecordAsync(Headers, cancellationToken);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await csv.WriteRecordAsync(Fields(row), cancellationToken);
            count++;
        }

        await csv.FlushAsync(cancellationToken);
        return count;
    }

    public static async Task<int> WriteJsonAsync(IAsyncEnumerable<ComplianceRow> rows, Stream output, CancellationToken cancellationToken)
    {
        var count = 0;
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartArray();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            json.WriteStartObject();
            foreach (var (name, value) in Headers.Zip(Fields(row)))
            {
                if (name == "policyVersion")
                {
                    json.WriteNumber(name, row.PolicyVersion);
                }
                else if (value.Length == 0 && name is "nonCompliantSince" or "dueAt" or "remedy" or "evaluatedAt")
                {
                    json.WriteNull(name);
                }
                else
                {
                    json.WriteString(name, value);
                }
            }

            json.WriteEndObject();
            if (++count % 500 == 0)
            {
                await json.FlushAsync(cancellationToken);
            }
        }

        json.WriteEndArray();
        await json.FlushAsync(cancellationToken);
        return count;
    }

    private static readonly string[] Headers =
        ["policyId", "policy", "policyVersion", "target", "keyId", "arn", "aliases", "status", "reason", "nonCompliantSince", "dueAt", "remedy", "evaluatedAt"];

    private static string[] Fields(ComplianceRow r) =>
    [
        r.PolicyId.ToString(), r.PolicyName, r.PolicyVersion.ToString(CultureInfo.InvariantCulture), r.Target, r.KeyId, r.Arn, r.Aliases,
        r.Status.ToString(), r.Reason, Time(r.NonCompliantSince), Time(r.DueAt), r.Remedy?.ToString() ?? "", Time(r.EvaluatedAt),
    ];

    private static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) ?? "";
}
