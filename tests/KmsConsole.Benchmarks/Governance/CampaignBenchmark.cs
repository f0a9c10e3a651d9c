using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.Benchmarks.Targets;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Protocol;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KmsConsole.Benchmarks.Governance;

/// <summary>
/// One W1 (enable automatic rotation) campaign over --keys keys against the local endpoint with KMS's request quotas on,
/// run by the console's own hosted orchestrator and campaign driver on a SQLite file: the time from its approval until
/// every key succeeded, against the least time the quotas allow for the KMS calls its runs made, and the Keys page's
/// query sampled meanwhile.
/// </summary>
internal static class CampaignBenchmark
{
    private static readonly Actor Requester = new("rita", "Rita Requester", new HashSet<string> { Roles.Requester });
    private static readonly Actor Approver = new("alice", "Alice Approver", new HashSet<string> { Roles.Approver });
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(30);

    public static async Task<int> RunAsync(int keyCount, int concurrency, string? markdownPath, string[] args)
    {
        if (keyCount > Campaigns.MaxKeys || concurrency is < 1 or > Campaigns.MaxConcurrency)
        {
            Console.Error.WriteLine($"campaign: --keys 1..{Campaigns.MaxKeys}, --concurrency 1..{Campaigns.MaxConcurrency}");
            return 2;
        }

        var directory = Directory.CreateTempSubdirectory("kmsconsole-campaign-bench-").FullName;
        var calls = new QuotaCallCounter();
        try
        {
            // Keys are seeded with the quotas off (1,000 CreateKey + CreateAlias at 5/s each would take 400 s), then the
            // quotas are on for everything the console does: the sync, the campaign's plan and its runs.
            await using var kms = await LocalKmsServer.StartAsync(new LocalKmsOptions { DataDirectory = Path.Combine(directory, "localkms"), Seed = false },
                "http://127.0.0.1:0", null, services => services.AddSingleton<IKmsOperationAuthorizer>(calls), null);
            Console.WriteLine($"creating {keyCount} keys with aliases ...");
            var aliases = await CreateKeysAsync(kms, keyCount);
            kms.Options.Quotas.Enabled = true;

            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Rotation:Database:Provider"] = DatabaseOptions.Sqlite,
                ["Rotation:Database:ConnectionString"] = $"Data Source={Path.Combine(directory, "kmsconsole.db")}",
                ["Rotation:Targets:0:Name"] = "local",
                ["Rotation:Targets:0:ServiceUrl"] = kms.Endpoint.ToString(),
                ["Rotation:Targets:0:AccessKeyId"] = AuthenticationOptions.LocalAccessKeyId,
                ["Rotation:Targets:0:SecretAccessKey"] = AuthenticationOptions.LocalSecretAccessKey,
            });
            builder.AddRotation();
            using var host = builder.Build();
            await host.StartAsync();
            try
            {
                var inventory = host.Services.GetRequiredService<KeyInventory>();
                var campaigns = host.Services.GetRequiredService<Campaigns>();
                Console.WriteLine("syncing the inventory ...");
                await inventory.SyncAsync(progress: null);

                Console.WriteLine("requesting the campaign (each key's plan read by the preflight) ...");
                var planClock = Stopwatch.StartNew();
                var campaign = await campaigns.RequestAsync(Requester, new CampaignRequest("local", aliases, WorkflowKind.EnableAutomaticRotation,
                    new RotationParameters { RotationPeriodInDays = 365 }, "KMS.4 remediation benchmark", concurrency));
                var planned = planClock.Elapsed;

                Console.WriteLine($"approving; {keyCount} keys, {concurrency} at a time ...");
                calls.Reset();
                using var sampling = new CancellationTokenSource();
                var samples = SampleKeysPageAsync(inventory, aliases, sampling.Token);
                var clock = Stopwatch.StartNew();
                await campaigns.ApproveAsync(Approver, campaign.Id, "approved for the benchmark");
                var done = await WaitForEndAsync(campaigns, campaign.Id, keyCount);
                var took = clock.Elapsed;
                await sampling.CancelAsync();
                var queryTimes = await samples;

                var succeeded = done.Keys.Count(k => k.State == CampaignKeyState.Succeeded);
                var slowest = calls.Slowest();
                var ratio = took / slowest.Allowed;
                var report = Report(keyCount, concurrency, planned, done, succeeded, calls, slowest, took, ratio, queryTimes, args);
                Console.WriteLine(report);
                if (markdownPath is not null)
                {
                    await File.WriteAllTextAsync(markdownPath, report);
                }

                return succeeded == keyCount && ratio <= 1.2 && Percentile(queryTimes, 0.95) < 200 ? 0 : 1;
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<List<string>> CreateKeysAsync(LocalKmsServer kms, int keyCount)
    {
        using var client = new AmazonKeyManagementServiceClient(new BasicAWSCredentials(AuthenticationOptions.LocalAccessKeyId, AuthenticationOptions.LocalSecretAccessKey),
            new AmazonKeyManagementServiceConfig { ServiceURL = kms.Endpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var aliases = Enumerable.Range(0, keyCount).Select(i => $"alias/campaign-{i:D4}").ToList();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < keyCount; i = Interlocked.Increment(ref next))
            {
                var key = await client.CreateKeyAsync(new CreateKeyRequest { Description = $"campaign key {i}" });
                await client.CreateAliasAsync(new CreateAliasRequest { AliasName = aliases[i], TargetKeyId = key.KeyMetadata.KeyId });
            }
        }));
        return aliases;
    }

    /// <summary>Polls the campaign once a second until it is over and no key of it runs; reports its progress every 10 s.</summary>
    private static async Task<Campaign> WaitForEndAsync(Campaigns campaigns, Guid campaignId, int keyCount)
    {
        var watch = Stopwatch.StartNew();
        var nextReport = TimeSpan.Zero;
        while (watch.Elapsed < Limit)
        {
            var campaign = (await campaigns.GetAsync(campaignId))!;
            if (campaign.IsOver && campaign.Keys.All(k => k.State != CampaignKeyState.Running))
            {
                return campaign;
            }

            if (watch.Elapsed >= nextReport)
            {
                var finished = campaign.Keys.Count(k => k.State is CampaignKeyState.Succeeded or CampaignKeyState.Failed or CampaignKeyState.Cancelled);
                Console.WriteLine($"  {watch.Elapsed.TotalSeconds,6:F1} s: {finished} of {keyCount} keys done, {campaign.Keys.Count(k => k.State == CampaignKeyState.Running)} running");
                nextReport += TimeSpan.FromSeconds(10);
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        throw new TimeoutException($"Campaign {campaignId} did not finish within {Limit}.");
    }

    /// <summary>The Keys page's query as a user types a search, every <see cref="SampleEvery"/>: its server time in milliseconds.</summary>
    private static async Task<List<double>> SampleKeysPageAsync(KeyInventory inventory, List<string> aliases, CancellationToken cancellationToken)
    {
        var times = new List<double>();
        using var timer = new PeriodicTimer(SampleEvery);
        try
        {
            for (var i = 0; await timer.WaitForNextTickAsync(cancellationToken); i++)
            {
                var alias = aliases[(i * 37) % aliases.Count];
                var query = (i % 2) == 0
                    ? new KeyQuery { Search = alias[^3..] }
                    : new KeyQuery { Page = 1, SortBy = KeySortField.NextRotationDate };
                var watch = Stopwatch.StartNew();
                await inventory.QueryAsync(query, cancellationToken);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        return times;
    }

    private static double Percentile(List<double> values, double p) =>
        values.Count == 0 ? double.NaN : values.Order().ElementAt(Math.Min(values.Count - 1, (int)Math.Ceiling(p * values.Count) - 1));

    private static string Report(int keyCount, int concurrency, TimeSpan planned, Campaign done, int succeeded, QuotaCallCounter calls,
        (string Operation, long Calls, double Rate, TimeSpan Allowed) slowest, TimeSpan took, double ratio, List<double> queryTimes, string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"Machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {LoadAverage()}.");
        text.AppendLine(inv, $"W1 campaign over {keyCount} AWS_KMS keys, {concurrency} at a time, local endpoint in process with KMS's documented request quotas on; the console's hosted orchestrator and campaign driver on SQLite. Planning it (the preflight of every key at request time) took {planned.TotalSeconds:F1} s.");
        text.AppendLine();
        text.AppendLine("KMS calls from the approval to the end:");
        text.AppendLine();
        calls.AppendTable(text);
        text.AppendLine();
        var p95 = Percentile(queryTimes, 0.95);
        text.AppendLine("| measure | value |");
        text.AppendLine("|---|---:|");
        text.AppendLine(inv, $"| keys succeeded | {succeeded} of {keyCount} ({done.State}) |");
        text.AppendLine(inv, $"| approval → every key done | {took.TotalSeconds:F1} s |");
        text.AppendLine(inv, $"| least time the quotas allow ({slowest.Operation}: {slowest.Calls} calls ÷ {slowest.Rate:F0}/s) | {slowest.Allowed.TotalSeconds:F1} s |");
        text.AppendLine(inv, $"| ratio (target ≤ 1.2×) | {ratio:F2}× ({(ratio <= 1.2 ? "met" : "NOT met")}) |");
        text.AppendLine(inv, $"| Keys page query meanwhile, {queryTimes.Count} samples: p50 / p95 / max (target < 200 ms) | {Percentile(queryTimes, 0.5):F1} / {p95:F1} / {(queryTimes.Count == 0 ? double.NaN : queryTimes.Max()):F1} ms ({(p95 < 200 ? "met" : "NOT met")}) |");
        text.AppendLine();
        text.AppendLine("```");
        text.AppendLine($"dotnet run -c Release --project tests/KmsConsole.Benchmarks -- {string.Join(' ', args)}".TrimEnd());
        text.AppendLine("```");
        return text.ToString();
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
