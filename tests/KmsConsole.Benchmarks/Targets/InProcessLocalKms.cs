using KmsConsole.LocalKms.Hosting;

namespace KmsConsole.Benchmarks.Targets;

/// <summary>Starts LocalKmsServer inside the benchmark process, on a free loopback port.</summary>
internal static class InProcessLocalKms
{
    public static Task<LocalKmsServer> StartAsync(string dataDirectory)
    {
        var options = new LocalKmsOptions { DataDirectory = dataDirectory, Seed = false };
        options.Authentication.Credentials[BenchmarkTarget.AccessKeyId] = BenchmarkTarget.SecretAccessKey;
        return LocalKmsServer.StartAsync(options, "http://127.0.0.1:0");
    }
}
