using Amazon.KeyManagementService;
using BenchmarkDotNet.Attributes;
using KmsConsole.Benchmarks.Load;
using KmsConsole.Benchmarks.Targets;

namespace KmsConsole.Benchmarks.Latency;

/// <summary>
/// Per-call latency of one SDK client calling DescribeKey, Encrypt and Decrypt against each
/// target (BenchmarkDotNet, in-process toolchain so the endpoints start once per target).
/// </summary>
[MemoryDiagnoser]
public class KmsCallBenchmarks
{
    /// <summary>Set by Program from --local-hosting before BenchmarkDotNet runs (in-process toolchain).</summary>
    public static LocalHosting Hosting { get; set; } = LocalHosting.Process;

    /// <summary>Set by Program from --target (in-process toolchain shares this static).</summary>
    public static IReadOnlyList<string> TargetNames { get; set; } = ["local", "moto"];

    private BenchmarkTarget? _target;
    private AmazonKeyManagementServiceClient? _client;

    [ParamsSource(nameof(TargetNames))]
    public string Target { get; set; } = "local";

    [GlobalSetup]
    public void Setup()
    {
        _target = (Target == "moto" ? BenchmarkTarget.StartMotoAsync() : BenchmarkTarget.StartLocalAsync(Hosting)).GetAwaiter().GetResult();
        _client = BenchmarkTarget.CreateClient(_target.Endpoint);

        // Tiered JIT in the endpoint's process is not warmed by BenchmarkDotNet's own warm-up of
        // this process; without this the first benchmark of a target measures JIT, not the endpoint.
        foreach (var operation in Enum.GetValues<KmsOperation>())
        {
            for (var i = 0; i < 1000; i++)
            {
                KmsCalls.CallAsync(_client, _target, operation, CancellationToken.None).GetAwaiter().GetResult();
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        _target?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public Task DescribeKey() => KmsCalls.CallAsync(_client!, _target!, KmsOperation.DescribeKey, CancellationToken.None);

    [Benchmark]
    public Task Encrypt() => KmsCalls.CallAsync(_client!, _target!, KmsOperation.Encrypt, CancellationToken.None);

    [Benchmark]
    public Task Decrypt() => KmsCalls.CallAsync(_client!, _target!, KmsOperation.Decrypt, CancellationToken.None);

    [Benchmark]
    public Task Sign() => KmsCalls.CallAsync(_client!, _target!, KmsOperation.Sign, CancellationToken.None);

    [Benchmark]
    public Task GenerateMac() => KmsCalls.CallAsync(_client!, _target!, KmsOperation.GenerateMac, CancellationToken.None);
}
