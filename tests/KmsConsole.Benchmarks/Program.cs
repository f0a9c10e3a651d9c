using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using KmsConsole.Benchmarks.Latency;
using KmsConsole.Benchmarks.Load;
using KmsConsole.Benchmarks.Queries;
using KmsConsole.Benchmarks.Targets;

// KMS throughput of the local endpoint against moto_server, through the AWS SDK for .NET.
//   load    (default) N concurrent clients for a fixed time per operation → requests/second
//   latency BenchmarkDotNet per-call latency (one client)
//   signatures BenchmarkDotNet: what the local endpoint's SigV4 check costs a DescribeKey, without network or client
//   queries BenchmarkDotNet: the console's key inventory and audit trail queries over a seeded SQLite file
//   circuits N signed-in Blazor circuits (headless Chromium contexts) on the Keys and Run pages while a run executes
//   audit   the audit trail at a million events on SQLite and PostgreSQL: appends, verification, page queries and their plans, export
//   inventory  the first inventory sync with KMS's request quotas on, against the time they allow
//   compliance the compliance evaluation and its whole pass over SQLite
//   campaign   a W1 campaign over --keys keys with KMS's request quotas on, against the time they allow; the Keys page's query meanwhile
// Both targets listen on 127.0.0.1 only; every run is bounded in time and request count.
if (args is ["circuits", ..])
{
    return await KmsConsole.Benchmarks.Circuits.CircuitLoad.RunAsync(args[1..]);
}

if (args is ["audit", ..])
{
    return await KmsConsole.Benchmarks.Audit.AuditScaleBenchmark.RunAsync(args[1..]);
}

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions? options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    options = null;
}

if (options is null)
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.Mode == "latency")
{
    KmsCallBenchmarks.Hosting = options.LocalHosting;
    KmsCallBenchmarks.TargetNames = options.Targets;
    var config = ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(500)))
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
    var summary = BenchmarkRunner.Run<KmsCallBenchmarks>(config);
    return summary.HasCriticalValidationErrors ? 1 : 0;
}

if (options.Mode == "signatures")
{
    var config = ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance))
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
    var summary = BenchmarkRunner.Run<SignatureCheckBenchmarks>(config);
    return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
}

if (options.Mode == "inventory")
{
    return await KmsConsole.Benchmarks.Inventory.QuotaPacedSyncBenchmark.RunAsync(options.KeyCount, options.MarkdownPath, args);
}

if (options.Mode == "compliance")
{
    return await KmsConsole.Benchmarks.Governance.ComplianceBenchmark.RunAsync(options.KeyCount, options.MarkdownPath, args);
}

if (options.Mode == "campaign")
{
    return await KmsConsole.Benchmarks.Governance.CampaignBenchmark.RunAsync(options.KeyCount, options.Concurrency, options.MarkdownPath, args);
}

if (options.Mode == "queries")
{
    QueryDatabase.KeyCount = options.KeyCount;
    QueryDatabase.EventCount = options.EventCount;
    // ShortRun's counts; in-process so the seeded database is built once and shared by every benchmark.
    var config = ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
    try
    {
        var summaries = BenchmarkRunner.Run([typeof(KeyInventoryBenchmarks), typeof(AuditTrailBenchmarks)], config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
    finally
    {
        QueryDatabase.DeleteShared();
    }
}

var results = new List<LoadResult>();
foreach (var targetName in options.Targets)
{
    Console.WriteLine($"starting {targetName} ...");
    await using var target = targetName == "moto"
        ? await BenchmarkTarget.StartMotoAsync()
        : await BenchmarkTarget.StartLocalAsync(options.LocalHosting);
    // Warm every operation once before measuring any: tiered JIT in the server and the client
    // otherwise makes whichever operation runs first look slow.
    foreach (var operation in options.Operations)
    {
        await LoadRun.RunAsync(target, operation, options.Settings with { Clients = options.ClientCounts.Max(), Warmup = TimeSpan.Zero, Duration = options.Settings.Warmup });
    }

    foreach (var operation in options.Operations)
    foreach (var clients in options.ClientCounts)
    {
        var result = await LoadRun.RunAsync(target, operation, options.Settings with { Clients = clients });
        results.Add(result);
        Console.WriteLine(
            $"{result.Target,-22} {result.Operation,-12} {result.RequestsPerSecond,10:F0} req/s  p50 {result.P50Milliseconds,7:F2} ms  p99 {result.P99Milliseconds,7:F2} ms  ok {result.Succeeded}  failed {result.Failed}"
            + (result.ServerCpuMicrosecondsPerRequest is { } cpu ? $"  server CPU {cpu:F0} µs/request" : string.Empty)
            + (result.FirstError is null ? string.Empty : $"  first error: {result.FirstError}"));
    }
}

var report = Report(results, options, args);
Console.WriteLine();
Console.WriteLine(report);
if (options.MarkdownPath is not null)
{
    await File.WriteAllTextAsync(options.MarkdownPath, report);
    Console.WriteLine($"written to {options.MarkdownPath}");
}

return results.Any(r => r.Failed > 0) ? 1 : 0;

static string Report(IReadOnlyList<LoadResult> results, BenchOptions options, string[] args)
{
    var text = new StringBuilder();
    var inv = CultureInfo.InvariantCulture;
    text.AppendLine(inv, $"Machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
    text.AppendLine(inv, $"Load: {string.Join(" / ", options.ClientCounts)} concurrent SDK clients per operation, {options.Settings.Warmup.TotalSeconds:F0} s warm-up of every operation first and again before each measurement, then {options.Settings.Duration.TotalSeconds:F0} s measured (cap {options.Settings.MaxRequests} requests); local endpoint hosted {(options.LocalHosting == LocalHosting.Process ? "in its own process" : "in the benchmark process")}.");
    text.AppendLine();
    text.AppendLine("| target | operation | clients | requests/s | p50 ms | p99 ms | server CPU µs/request | ok | failed |");
    text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var r in results)
    {
        text.AppendLine(inv, $"| {r.Target} | {r.Operation} | {r.Clients} | {r.RequestsPerSecond:F0} | {r.P50Milliseconds:F2} | {r.P99Milliseconds:F2} | {(r.ServerCpuMicrosecondsPerRequest is { } cpu ? cpu.ToString("F0", inv) : "—")} | {r.Succeeded} | {r.Failed} |");
    }

    // Each side at its best concurrency: moto (one Python process) peaks at few clients.
    var local = results.Where(r => r.Target.StartsWith("local", StringComparison.Ordinal))
        .GroupBy(r => r.Operation).ToDictionary(g => g.Key, g => g.MaxBy(r => r.RequestsPerSecond)!);
    var moto = results.Where(r => r.Target == "moto")
        .GroupBy(r => r.Operation).ToDictionary(g => g.Key, g => g.MaxBy(r => r.RequestsPerSecond)!);
    if (local.Count > 0 && moto.Count > 0)
    {
        text.AppendLine();
        text.AppendLine("Each at its best concurrency:");
        text.AppendLine();
        text.AppendLine("| operation | local req/s (clients) | moto req/s (clients) | local ÷ moto | target ≥ 20× |");
        text.AppendLine("|---|---:|---:|---:|---|");
        foreach (var operation in options.Operations.Where(o => local.ContainsKey(o) && moto.ContainsKey(o)))
        {
            var ratio = local[operation].RequestsPerSecond / moto[operation].RequestsPerSecond;
            text.AppendLine(inv, $"| {operation} | {local[operation].RequestsPerSecond:F0} ({local[operation].Clients}) | {moto[operation].RequestsPerSecond:F0} ({moto[operation].Clients}) | {ratio:F1}× | {(ratio >= 20 ? "met" : "NOT met")} |");
        }
    }

    text.AppendLine();
    text.AppendLine("Reproduce:");
    text.AppendLine();
    text.AppendLine("```");
    text.AppendLine($"dotnet run -c Release --project tests/KmsConsole.Benchmarks -- {string.Join(' ', args)}".TrimEnd());
    text.AppendLine("```");
    return text.ToString();
}

internal sealed record BenchOptions(
    string Mode,
    IReadOnlyList<string> Targets,
    IReadOnlyList<KmsOperation> Operations,
    LoadSettings Settings,
    IReadOnlyList<int> ClientCounts,
    LocalHosting LocalHosting,
    string? MarkdownPath,
    int KeyCount,
    int EventCount,
    int Concurrency)
{
    public const string Usage = """
        usage: KmsConsole.Benchmarks [load|latency|signatures|queries|inventory|compliance|campaign] [options]
          load (default)          N concurrent clients per operation for a fixed time → requests/second
          latency                 BenchmarkDotNet per-call latency, one client
          signatures              BenchmarkDotNet: the local endpoint's handler answering an SDK-signed DescribeKey with and
                                  without its SigV4 check, and the check alone
          queries                 BenchmarkDotNet: Keys and Audit page queries and the CSV export over SQLite
          inventory               the first inventory sync of --keys keys with KMS's request quotas on, against the time they allow
          compliance              --keys keys x 5 policies: the evaluation in memory and the whole pass over SQLite
          campaign                a W1 campaign over --keys keys (default 1000, at most 1000) with KMS's request quotas on, from approval
                                  to the last key, against the time the quotas allow; the Keys page's query sampled meanwhile
          --target local|moto|both        (default both)
          --clients N[,N...]              concurrent SDK clients, each 1..64 (default 1,8)
          --duration SECONDS              measured time per operation, 1..120 (default 10)
          --warmup SECONDS                warm-up per operation, 0..30 (default 2)
          --max-requests N                cap per phase (default 1000000)
          --operations DescribeKey,Encrypt,Decrypt,Sign,GenerateMac
          --local-hosting process|inprocess   the local endpoint in its own process (default) or in this one
          --markdown PATH                 also write the report as markdown
          --keys N                        queries: key snapshots to seed; inventory, compliance, campaign: keys to create, 1..1000000 (default 10000)
          --concurrency N                 campaign: keys run at once, 1..50 (default 50)
          --events N                      queries: audit events to seed, 1..10000000 (default 1000000)
        """;

    public static BenchOptions? Parse(string[] args)
    {
        var mode = "load";
        var targets = new List<string> { "local", "moto" };
        var operations = Enum.GetValues<KmsOperation>().ToList();
        List<int> clients = [1, 8];
        int duration = 10, warmup = 2;
        long maxRequests = 1_000_000;
        var hosting = LocalHosting.Process;
        string? markdown = null;
        int? keys = null;
        int events = 1_000_000, concurrency = 50;
        var inv = CultureInfo.InvariantCulture;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "load" or "latency" or "signatures" or "queries" or "inventory" or "compliance" or "campaign" when i == 0:
                    mode = args[i];
                    break;
                case "--target":
                    var target = Next();
                    targets = target == "both" ? ["local", "moto"] : target is "local" or "moto" ? [target] : throw new ArgumentException($"unknown target {target}");
                    break;
                case "--clients":
                    clients = Next().Split(',').Select(c => int.Parse(c, inv)).ToList();
                    break;
                case "--duration":
                    duration = int.Parse(Next(), inv);
                    break;
                case "--warmup":
                    warmup = int.Parse(Next(), inv);
                    break;
                case "--max-requests":
                    maxRequests = long.Parse(Next(), inv);
                    break;
                case "--operations":
                    operations = Next().Split(',').Select(Enum.Parse<KmsOperation>).ToList();
                    break;
                case "--local-hosting":
                    hosting = Next() switch
                    {
                        "process" => LocalHosting.Process,
                        "inprocess" => LocalHosting.InProcess,
                        var other => throw new ArgumentException($"unknown hosting {other}"),
                    };
                    break;
                case "--markdown":
                    markdown = Next();
                    break;
                case "--keys":
                    keys = int.Parse(Next(), inv);
                    break;
                case "--concurrency":
                    concurrency = int.Parse(Next(), inv);
                    break;
                case "--events":
                    events = int.Parse(Next(), inv);
                    break;
                default:
                    return null;
            }
        }

        keys ??= mode == "campaign" ? 1000 : 10_000;
        if (clients.Count == 0 || clients.Any(c => c is < 1 or > 64) || duration is < 1 or > 120 || warmup is < 0 or > 30 || maxRequests < 1
            || keys is < 1 or > 1_000_000 || events is < 1 or > 10_000_000 || concurrency is < 1 or > 50)
        {
            return null;
        }

        return new BenchOptions(
            mode,
            targets,
            operations,
            new LoadSettings(clients[0], TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(duration), maxRequests),
            clients,
            hosting,
            markdown,
            keys.Value,
            events,
            concurrency);
    }
}
