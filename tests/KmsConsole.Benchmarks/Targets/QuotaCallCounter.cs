using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KmsConsole.LocalKms.Protocol;
using KmsConsole.LocalKms.Quotas;

namespace KmsConsole.Benchmarks.Targets;

/// <summary>
/// Counts the requests an in-process local endpoint accepted (past its quotas), by operation, and from them the least
/// time KMS's documented request quotas allow: operations with separate quotas run side by side, so it is the slowest
/// operation's calls ÷ its requests per second.
/// </summary>
internal sealed class QuotaCallCounter : IKmsOperationAuthorizer
{
    private ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public void Authorize(string callerAccessKeyId, string operation, JsonElement requestBody) => _counts.AddOrUpdate(operation, 1, (_, n) => n + 1);

    public void Reset() => _counts = new(StringComparer.Ordinal);

    /// <summary>The operation's documented requests per second as the endpoint enforces it; infinity when the table limits it not.</summary>
    public static double RateOf(string operation) =>
        RequestQuotas.Documented.TryGetValue(RequestQuotas.QuotaFor(operation), out var rate) ? rate : double.PositiveInfinity;

    private static string QuotaText(double rate) =>
        double.IsPositiveInfinity(rate) ? "not limited" : rate.ToString("F0", CultureInfo.InvariantCulture);

    /// <summary>The operation that needs the longest at its quota, and that time.</summary>
    public (string Operation, long Calls, double Rate, TimeSpan Allowed) Slowest()
    {
        var slowest = _counts
            .Select(c => (Operation: c.Key, Calls: c.Value, Rate: RateOf(c.Key)))
            .Where(c => !double.IsPositiveInfinity(c.Rate))
            .MaxBy(c => c.Calls / c.Rate);
        return (slowest.Operation, slowest.Calls, slowest.Rate, TimeSpan.FromSeconds(slowest.Calls / slowest.Rate));
    }

    /// <summary>A markdown table: per operation, the calls accepted, its quota and the least time that quota allows.</summary>
    public void AppendTable(StringBuilder text)
    {
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine("| operation | calls accepted | quota (req/s) | least time the quota allows |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var (operation, count) in _counts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var rate = RateOf(operation);
            text.AppendLine(inv, $"| {operation} | {count} | {QuotaText(rate)} | {(double.IsPositiveInfinity(rate) ? "-" : $"{count / rate:F1} s")} |");
        }
    }
}
