using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using KmsConsole.Benchmarks.Queries;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Testing;

namespace KmsConsole.Benchmarks.Audit;

/// <summary>
/// The audit trail at a million events, on a real SQLite file and (where the server binaries are installed) a throwaway
/// PostgreSQL cluster: the bulk load, then appends through the chain's own write path (lock, head read, hash, commit,
/// one transaction each) timed one by one, the whole chain verified, the Audit page's filtered page queries (median of
/// five after a warm-up) with each query's plan asked of the database (a query that reads every event is marked), and
/// the CSV export of one day and of the whole trail. Bounded by its counts.
/// </summary>
public static class AuditScaleBenchmark
{
    private const string Usage = """
        audit [--events N] [--appends M] [--providers sqlite,postgres] [--markdown FILE]
          --events N     events in the trail, 1,000..5,000,000 (default 1,000,000)
          --appends M    events appended through the chain after the load, 10..100,000 (default 2,000)
        """;

    private const int PageSize = 50;
    private const int Repeats = 5;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly Actor Auditor = new("auditor", "Benchmark Auditor", new HashSet<string> { Roles.Auditor });

    public static async Task<int> RunAsync(string[] args)
    {
        int events = 1_000_000, appends = 2_000;
        string? markdown = null;
        string[] providers = [DatabaseOptions.Sqlite, DatabaseOptions.Postgres];
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--events" when int.TryParse(value, NumberStyles.AllowThousands, Inv, out var n) && n is >= 1_000 and <= 5_000_000:
                    events = n;
                    i++;
                    break;
                case "--appends" when int.TryParse(value, NumberStyles.AllowThousands, Inv, out var m) && m is >= 10 and <= 100_000:
                    appends = m;
                    i++;
                    break;
                case "--providers" when value is not null && value.Split(',') is var names
                                        && names.All(p => p.Equals("sqlite", StringComparison.OrdinalIgnoreCase) || p.Equals("postgres", StringComparison.OrdinalIgnoreCase)):
                    providers = names.Select(p => p.Equals("sqlite", StringComparison.OrdinalIgnoreCase) ? DatabaseOptions.Sqlite : DatabaseOptions.Postgres).ToArray();
                    i++;
                    break;
                case "--markdown" when value is not null:
                    markdown = value;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        var report = new StringBuilder();
        report.AppendLine(Inv, $"Machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; " +
                               $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average at start {LoadAverage()}.");
        report.AppendLine();
        var failed = false;
        foreach (var provider in providers)
        {
            if (provider == DatabaseOptions.Sqlite)
            {
                var directory = Directory.CreateTempSubdirectory("kmsconsole-bench-audit-").FullName;
                try
                {
                    failed |= !await MeasureAsync(provider, $"Data Source={Path.Combine(directory, "kmsconsole.db")}", events, appends, report);
                }
                finally
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            else
            {
                TemporaryPostgres cluster;
                try
                {
                    cluster = await TemporaryPostgres.StartAsync();
                }
                catch (Exception e) when (e.GetType().Name == "SkipException")
                {
                    report.AppendLine(Inv, $"PostgreSQL not measured: {e.Message}").AppendLine();
                    continue;
                }

                await using (cluster)
                {
                    // The throwaway cluster's string turns pooling off for the tests; the console pools its connections.
                    var pooled = cluster.ConnectionString.Replace("Pooling=false", "Pooling=true", StringComparison.Ordinal);
                    failed |= !await MeasureAsync(provider, pooled, events, appends, report);
                }
            }
        }

        Console.WriteLine(report);
        if (markdown is not null)
        {
            await File.WriteAllTextAsync(markdown, report.ToString());
        }

        return failed ? 1 : 0;
    }

    private static async Task<bool> MeasureAsync(string provider, string connectionString, int events, int appends, StringBuilder report)
    {
        Console.WriteLine($"{provider}: loading {events:N0} events…");
        await using var database = await AuditScaleDatabase.CreateAsync(provider, connectionString);
        var loaded = await database.BulkLoadAsync(events);
        Console.WriteLine($"{provider}: loaded in {loaded.TotalSeconds:F1} s; appending {appends:N0} through the chain…");

        var latencies = new double[appends];
        var appendClock = Stopwatch.StartNew();
        for (var i = 0; i < appends; i++)
        {
            var one = Stopwatch.StartNew();
            await database.Store.WriteAsync(audit => audit.AppendAsync($"user-{i % QueryDatabase.Users:D3}", "bench.appended",
                $"aws-prod:alias/service-{i % QueryDatabase.Services:D3}", $"append {i} at a million"), CancellationToken.None);
            latencies[i] = one.Elapsed.TotalMilliseconds;
        }

        var appendTook = appendClock.Elapsed;
        Array.Sort(latencies);

        var verifyClock = Stopwatch.StartNew();
        var verified = await database.Trail.VerifyAsync(Auditor);
        var verifyTook = verifyClock.Elapsed;
        if (!verified.Intact || verified.EventsChecked != events + appends)
        {
            report.AppendLine(Inv, $"{provider}: the chain did NOT verify ({verified.EventsChecked:N0} checked): {verified.Reason}").AppendLine();
            return false;
        }

        var middle = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) + QueryDatabase.TrailSpan / 2;
        var oneDay = new AuditFilter { From = middle, To = middle.AddDays(1) };
        var (exportDay, dayRows) = await ExportAsync(database, oneDay);
        var (exportAll, allRows) = await ExportAsync(database, new AuditFilter());

        report.AppendLine(Inv, $"**{provider}**, {events:N0} events loaded in bulk in {loaded.TotalSeconds:F1} s.").AppendLine();
        report.AppendLine("| appends through the chain | append p50 | p95 | max | verify the whole chain | CSV export, one day | CSV export, whole trail |");
        report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        report.AppendLine(Inv,
            $"| {appends:N0} at {appends / appendTook.TotalSeconds:F0}/s | {Percentile(latencies, 0.50):F1} ms | {Percentile(latencies, 0.95):F1} ms | {latencies[^1]:F1} ms " +
            $"| {verifyTook.TotalSeconds:F1} s ({verified.EventsChecked / verifyTook.TotalSeconds:N0} events/s) " +
            $"| {exportDay.TotalMilliseconds:F0} ms ({dayRows:N0} rows) | {exportAll.TotalSeconds:F1} s ({allRows / exportAll.TotalSeconds:N0} rows/s) |");
        report.AppendLine();

        var runId = QueryDatabase.RunIdOf(events / 2 / QueryDatabase.EventsPerRun);
        (string Name, AuditFilter Filter, int Page)[] queries =
        [
            ("no filter, first page", new AuditFilter(), 0),
            ("no filter, page 10,000", new AuditFilter(), 10_000),
            ("actor user-042, first page", new AuditFilter { Actor = "user-042" }, 0),
            ("actor user-042, one week, first page", new AuditFilter { Actor = "user-042", From = middle, To = middle.AddDays(7) }, 0),
            ("action run.failed, page 100", new AuditFilter { Action = "run.failed" }, 100),
            ("step.succeeded in one week, page 20", new AuditFilter { Action = "step.succeeded", From = middle, To = middle.AddDays(7) }, 20),
            ("one run", new AuditFilter { RunId = runId }, 0),
            ("one day, first page", oneDay, 0),
            ("subject contains 'service-042', first page", new AuditFilter { Subject = "service-042" }, 0),
            ("subject contains 'se' (under a trigram), first page", new AuditFilter { Subject = "se" }, 0),
        ];
        report.AppendLine("| page query (50 rows, with its total) | matching | median ms | reads every event |");
        report.AppendLine("|---|---:|---:|---|");
        foreach (var (name, filter, page) in queries)
        {
            database.Commands.Take();
            database.Commands.Capturing = true;
            var first = await database.Trail.QueryAsync(Auditor, filter, page, PageSize);
            database.Commands.Capturing = false;
            var scans = new List<string>();
            foreach (var sql in database.Commands.Take().Where(s => s.Contains("AuditEvents", StringComparison.Ordinal)))
            {
                var plan = await database.PlanAsync(sql);
                if (database.ScansEveryEvent(sql, plan))
                {
                    scans.Add(Compact(sql));
                    Console.WriteLine($"{provider}: '{name}' reads every event:\n{sql}\n  {string.Join("\n  ", plan)}");
                }
            }

            var times = new double[Repeats];
            for (var r = 0; r < Repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                await database.Trail.QueryAsync(Auditor, filter, page, PageSize);
                times[r] = clock.Elapsed.TotalMilliseconds;
            }

            Array.Sort(times);
            report.AppendLine(Inv, $"| {name} | {first.TotalCount:N0} | {times[Repeats / 2]:F1} | {(scans.Count == 0 ? "no" : "**yes**: " + string.Join("; ", scans))} |");
        }

        report.AppendLine();
        return true;
    }

    private static async Task<(TimeSpan Took, long Rows)> ExportAsync(AuditScaleDatabase database, AuditFilter filter)
    {
        var output = new CountingStream();
        var clock = Stopwatch.StartNew();
        await database.Trail.ExportCsvAsync(Auditor, output, filter);
        return (clock.Elapsed, output.Lines - 1);
    }

    private static string Compact(string sql) => string.Join(' ', sql.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Discards what is written and counts its lines (the CSV's rows; no field holds a raw newline).</summary>
    private sealed class CountingStream : Stream
    {
        public long Lines { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => Lines += buffer.Count((byte)'\n');

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
