using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KmsConsole.Benchmarks.Circuits;

/// <summary>
/// The console's own Blazor histograms (its Prometheus endpoint): how long the server spent on each page's parameters
/// (the page's data loads and business logic) and on browser events, apart from the browsers' share of each interaction,
/// which on one shared machine competes with the server for the same cores.
/// </summary>
internal static partial class ServerHistograms
{
    private static readonly string[] Measured = ["aspnetcore_components_update_parameters_duration_seconds", "aspnetcore_components_render_diff_duration_seconds"];

    /// <summary>Cumulative bucket counts by (histogram, component) and upper bound.</summary>
    public static Dictionary<(string Histogram, string Component), SortedDictionary<double, double>> Parse(string text)
    {
        var all = new Dictionary<(string, string), SortedDictionary<double, double>>();
        foreach (Match m in Bucket().Matches(text))
        {
            var histogram = m.Groups["name"].Value;
            if (!Measured.Contains(histogram))
            {
                continue;
            }

            var labels = m.Groups["labels"].Value;
            if (labels.Contains("error_type=", StringComparison.Ordinal))
            {
                continue;
            }

            var component = ComponentLabel().Match(labels) is { Success: true } c ? c.Groups[1].Value : "(every render batch)";
            var le = LeLabel().Match(labels).Groups[1].Value;
            var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
            var key = (histogram, component);
            if (!all.TryGetValue(key, out var buckets))
            {
                all[key] = buckets = new SortedDictionary<double, double>();
            }

            buckets[bound] = buckets.GetValueOrDefault(bound) + double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return all;
    }

    /// <summary>Per page component: observations between the two scrapes and the bucket bounds holding their median and 95th percentile.</summary>
    public static string Report(Dictionary<(string Histogram, string Component), SortedDictionary<double, double>> before,
        Dictionary<(string Histogram, string Component), SortedDictionary<double, double>> after)
    {
        var text = new StringBuilder()
            .AppendLine("Server side (the console's `aspnetcore.components.*` histograms between the interactions' start and end; a bound is the histogram bucket holding the percentile):")
            .AppendLine()
            .AppendLine("| histogram | component | observations | p50 ≤ | p95 ≤ |")
            .AppendLine("|---|---|---:|---:|---:|");
        foreach (var ((histogram, component), buckets) in after.OrderBy(a => a.Key.Histogram, StringComparer.Ordinal).ThenBy(a => a.Key.Component, StringComparer.Ordinal))
        {
            var earlier = before.GetValueOrDefault((histogram, component));
            var delta = buckets.ToDictionary(b => b.Key, b => b.Value - (earlier?.GetValueOrDefault(b.Key) ?? 0));
            var total = delta.GetValueOrDefault(double.PositiveInfinity);
            if (total < 5 || !(component.StartsWith("KmsConsole.Web.Components.", StringComparison.Ordinal) || component.StartsWith('(')))
            {
                continue;
            }

            if (UpperBound(delta, total * 0.95) < 0.001)
            {
                continue; // components that only lay out what they are given
            }

            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {histogram.Replace("aspnetcore_components_", "", StringComparison.Ordinal).Replace("_duration_seconds", "", StringComparison.Ordinal)} | {component[(component.LastIndexOf('.') + 1)..]} | {total:F0} | {Bound(delta, total * 0.5)} | {Bound(delta, total * 0.95)} |");
        }

        return text.ToString();
    }

    private static double UpperBound(Dictionary<double, double> cumulative, double rank) => cumulative.OrderBy(b => b.Key).First(b => b.Value >= rank).Key;

    private static string Bound(Dictionary<double, double> cumulative, double rank) =>
        UpperBound(cumulative, rank) is var bound && double.IsPositiveInfinity(bound) ? "> largest bucket" : $"{bound * 1000:0.#} ms";

    [GeneratedRegex("""^(?<name>[a-z_]+)_bucket\{(?<labels>[^}]*)\}\s+(?<value>[0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex Bucket();

    [GeneratedRegex("aspnetcore_components_(?:component|type)=\"([^\"]*)\"")]
    private static partial Regex ComponentLabel();

    [GeneratedRegex("le=\"([^\"]*)\"")]
    private static partial Regex LeLabel();
}
