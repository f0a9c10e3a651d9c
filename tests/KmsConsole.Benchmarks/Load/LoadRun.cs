using System.Diagnostics;
using KmsConsole.Benchmarks.Targets;

namespace KmsConsole.Benchmarks.Load;

public sealed record LoadSettings(int Clients, TimeSpan Warmup, TimeSpan Duration, long MaxRequests);

public sealed record LoadResult(
    string Target,
    KmsOperation Operation,
    int Clients,
    long Succeeded,
    long Failed,
    TimeSpan Elapsed,
    double P50Milliseconds,
    double P99Milliseconds,
    string? FirstError,
    double? ServerCpuSeconds = null)
{
    public double RequestsPerSecond => Succeeded / Elapsed.TotalSeconds;

    /// <summary>The endpoint process's CPU time per answered request, in microseconds; null when it shares this process.</summary>
    public double? ServerCpuMicrosecondsPerRequest => ServerCpuSeconds is { } cpu && Succeeded + Failed > 0 ? cpu * 1e6 / (Succeeded + Failed) : null;
}

/// <summary>
/// N clients, each its own SDK client (own connection pool), calling one operation back to back
/// for a fixed, bounded time after a warm-up. Counts successes and failures; a failure is never
/// counted as throughput.
/// </summary>
public static class LoadRun
{
    public static async Task<LoadResult> RunAsync(BenchmarkTarget target, KmsOperation operation, LoadSettings settings)
    {
        var clients = Enumerable.Range(0, settings.Clients).Select(_ => BenchmarkTarget.CreateClient(target.Endpoint)).ToArray();
        try
        {
            // Warm-up: JIT, connections, the server's caches.
            await RunPhaseAsync(target, operation, clients, settings.Warmup, settings.MaxRequests, record: false);
            return await RunPhaseAsync(target, operation, clients, settings.Duration, settings.MaxRequests, record: true);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<LoadResult> RunPhaseAsync(
        BenchmarkTarget target,
        KmsOperation operation,
        Amazon.KeyManagementService.AmazonKeyManagementServiceClient[] clients,
        TimeSpan duration,
        long maxRequests,
        bool record)
    {
        long issued = 0;
        long succeeded = 0;
        long failed = 0;
        string? firstError = null;
        var latencies = clients.Select(_ => new List<double>(capacity: 4096)).ToArray();
        using var stop = new CancellationTokenSource(duration);
        var clock = Stopwatch.StartNew();
        var cpuBefore = target.ServerProcessId is { } pid ? ProcessCpu.Seconds(pid) : null;

        var workers = clients.Select((client, index) => Task.Run(async () =>
        {
            var mine = latencies[index];
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref issued) <= maxRequests)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await KmsCalls.CallAsync(client, target, operation, CancellationToken.None);
                    Interlocked.Increment(ref succeeded);
                    if (record)
                    {
                        mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message}", null);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        var cpuAfter = target.ServerProcessId is { } server ? ProcessCpu.Seconds(server) : null;

        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(
            target.Name,
            operation,
            clients.Length,
            succeeded,
            failed,
            elapsed,
            Percentile(all, 0.50),
            Percentile(all, 0.99),
            firstError,
            cpuAfter - cpuBefore);
    }

    private static double Percentile(double[] sorted, double share) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(share * sorted.Length) - 1)];
}
