using KmsConsole.LocalKms.Hosting;

namespace KmsConsole.Benchmarks.Targets;

/// <summary>Starts LocalKmsServer inside the benchmark process, on a free loopback port.</summary>
internal static class InProcessLocalKms
{
    public static Task<LocalKmsServer> StartAsync(string dataDirectory) =>
        LocalKmsServer.StartAsync(new LocalKmsOptions { DataDirectory = dataDirectory, Seed = false }, "http://127.0.0.1:0");
}
