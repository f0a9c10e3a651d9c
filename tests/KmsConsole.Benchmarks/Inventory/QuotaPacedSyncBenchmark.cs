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
using KmsConsole.Rotation.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Benchmarks.Inventory;

/// <summary>
/// The console's first inventory sync of N keys against the local endpoint with KMS's request quotas on, timed against
/// the least time the quotas allow: the slowest operation's accepted calls ÷ its requests per second.
/// </summary>
internal static class QuotaPacedSyncBenchmark
{
    public static async Task<int> RunAsync(int keyCount, string? markdownPath, string[] args)
    {
        var directory = Directory.CreateTempSubdirectory("kmsconsole-sync-bench-").FullName;
        var calls = new QuotaCallCounter();
        try
        {
            await using var kms = await LocalKmsServer.StartAsync(new LocalKmsOptions { DataDirectory = Path.Combine(directory, "localkms"), Seed = false },
                "http://127.0.0.1:0", null, services => services.AddSingleton<IKmsOperationAuthorizer>(calls), null);
            Console.WriteLine($"creating {keyCount} keys ...");
            await CreateKeysAsync(kms, keyCount);

            var database = new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(directory, "kmsconsole.db")};Pooling=False" };
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddOptions<RotationOptions>().Configure(o =>
            {
                o.Database = database;
                o.Targets.Add(new KmsTarget { Name = "local", ServiceUrl = kms.Endpoint.ToString(), AccessKeyId = AuthenticationOptions.LocalAccessKeyId, SecretAccessKey = AuthenticationOptions.LocalSecretAccessKey });
            });
            services.AddRotationCore(database);
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<RotationDatabase>().EnsureMigratedAsync();
            var inventory = provider.GetRequiredService<KeyInventory>();

            kms.Options.Quotas.Enabled = true;
            calls.Reset();
            Console.WriteLine("syncing with quotas on ...");
            var clock = Stopwatch.StartNew();
            var result = await inventory.SyncAsync(progress: null);
            clock.Stop();

            var read = result.Targets.Sum(t => t.KeysRead);
            var (operation, count, rate, allowed) = calls.Slowest();
            var ratio = clock.Elapsed / allowed;
            var syncCalls = new StringBuilder();
            calls.AppendTable(syncCalls);

            // A later sync over the full key list, with the Keys page's query sampled meanwhile.
            Console.WriteLine("a second sync, the Keys page queried meanwhile ...");
            using var sampling = new CancellationTokenSource();
            var samples = SampleKeysPageAsync(inventory, sampling.Token);
            var later = Stopwatch.StartNew();
            await inventory.SyncAsync(progress: null);
            later.Stop();
            await sampling.CancelAsync();
            var keysPage = (await samples, later.Elapsed);

            // The keys' last use, read apart from the sync at GetKeyLastUsage's own quota: a bounded sample of its pace.
            var sample = Math.Min(LastUseSample, keyCount);
            Console.WriteLine($"reading the last use of {sample} keys ...");
            var lastUseClock = Stopwatch.StartNew();
            var lastUses = await inventory.ReadDueLastUsesAsync(sample, CancellationToken.None);
            lastUseClock.Stop();
            var lastUse = (lastUses, lastUseClock.Elapsed, QuotaCallCounter.RateOf("GetKeyLastUsage"));
            var report = Report(keyCount, read, syncCalls.ToString(), (operation, count, rate), allowed, clock.Elapsed, ratio, lastUse, keysPage, args);
            Console.WriteLine(report);
            if (markdownPath is not null)
            {
                await File.WriteAllTextAsync(markdownPath, report);
            }

            return read == keyCount && ratio <= 1.2 ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task CreateKeysAsync(LocalKmsServer kms, int keyCount)
    {
        using var client = new AmazonKeyManagementServiceClient(new BasicAWSCredentials(AuthenticationOptions.LocalAccessKeyId, AuthenticationOptions.LocalSecretAccessKey),
            new AmazonKeyManagementServiceConfig { ServiceURL = kms.Endpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < keyCount)
            {
                await client.CreateKeyAsync(new CreateKeyRequest { Description = "bulk key" });
            }
        }));
    }

    private const int LastUseSample = 250;

    /// <summary>The Keys page's query (server time, same process) every 500 ms while the sync runs.</summary>
    private static async Task<List<double>> SampleKeysPageAsync(KeyInventory inventory, CancellationToken stop)
    {
        var times = new List<double>();
        while (!stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            await inventory.QueryAsync(new KeyQuery { Search = "bulk", PageSize = 50, Page = 1 }, CancellationToken.None);
            times.Add(clock.Elapsed.TotalMilliseconds);
            try
            {
                await Task.Delay(500, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return times;
    }

    private static string Report(int keyCount, int read, string syncCalls, (string Operation, long Calls, double Rate) slowest, TimeSpan allowed,
        TimeSpan took, double ratio, (int Keys, TimeSpan Took, double Rate) lastUse, (List<double> Samples, TimeSpan Took) later, string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"Machine: {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        text.AppendLine(inv, $"First inventory sync of {keyCount} keys (read {read}), local endpoint in process with KMS's documented request quotas on.");
        text.AppendLine();
        text.Append(syncCalls);

        text.AppendLine();
        text.AppendLine(inv, $"Sync took {took.TotalSeconds:F1} s; the quotas allow {allowed.TotalSeconds:F1} s ({slowest.Operation}: {slowest.Calls} calls ÷ {slowest.Rate:F0}/s): {ratio:F2}× (target ≤ 1.2×: {(ratio <= 1.2 ? "met" : "NOT met")}).");
        var keysPage = later.Samples.Order().ToList();
        text.AppendLine(inv, $"A later sync of the same keys took {later.Took.TotalSeconds:F1} s.");
        if (keysPage.Count > 0)
        {
            text.AppendLine(inv, $"Keys page query during it (search 'bulk', page 2 of 50, every 500 ms, {keysPage.Count} samples; server time in the same process): " +
                                 $"p50 {keysPage[keysPage.Count / 2]:F1} ms, p95 {keysPage[Math.Min(keysPage.Count - 1, (int)Math.Ceiling(keysPage.Count * 0.95) - 1)]:F1} ms, " +
                                 $"max {keysPage[^1]:F1} ms.");
        }

        var allowedLastUse = lastUse.Keys / lastUse.Rate;
        text.AppendLine(inv, $"Last use of {lastUse.Keys} keys, read after the sync (GetKeyLastUsage at {lastUse.Rate:F0}/s): {lastUse.Took.TotalSeconds:F1} s against " +
                             $"{allowedLastUse:F1} s allowed ({lastUse.Took.TotalSeconds / allowedLastUse:F2}×); all {keyCount} keys would need {keyCount / lastUse.Rate:F0} s of it.");
        text.AppendLine();
        text.AppendLine("```");
        text.AppendLine($"dotnet run -c Release --project tests/KmsConsole.Benchmarks -- {string.Join(' ', args)}".TrimEnd());
        text.AppendLine("```");
        return text.ToString();
    }
}
