using Amazon.KeyManagementService;
using Amazon.Runtime;
using KmsConsole.LocalKms.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace KmsConsole.LocalKms.Tests.Support;

/// <summary>A local KMS endpoint on a free loopback port with its own data folder, and an SDK client for it.</summary>
public sealed class KmsTestEndpoint : IAsyncDisposable
{
    private KmsTestEndpoint(LocalKmsServer server, string dataDirectory, FakeTimeProvider? time, LocalKmsOptions options)
    {
        Server = server;
        DataDirectory = dataDirectory;
        Time = time;
        Options = options;
        Kms = CreateClient(server.Endpoint);
    }

    public LocalKmsServer Server { get; private set; }

    public string DataDirectory { get; }

    public FakeTimeProvider? Time { get; }

    public LocalKmsOptions Options { get; }

    public AmazonKeyManagementServiceClient Kms { get; private set; }

    public static async Task<KmsTestEndpoint> StartAsync(bool seed = false, FakeTimeProvider? time = null, Action<LocalKmsOptions>? configure = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "localkms-tests", Guid.NewGuid().ToString("N"));
        var options = new LocalKmsOptions { DataDirectory = dataDirectory, Seed = seed };
        configure?.Invoke(options);
        var server = await LocalKmsServer.StartAsync(options, "http://127.0.0.1:0", time);
        return new KmsTestEndpoint(server, dataDirectory, time, options);
    }

    /// <summary>Stops the server and starts a new one on the same data folder (and clock).</summary>
    public async Task RestartAsync()
    {
        Kms.Dispose();
        await Server.StopAsync();
        Server = await LocalKmsServer.StartAsync(Options, "http://127.0.0.1:0", Time);
        Kms = CreateClient(Server.Endpoint);
    }

    /// <summary>A client for another Region of the same endpoint (requests signed for <paramref name="region"/>).</summary>
    public AmazonKeyManagementServiceClient ClientFor(string region) => CreateClient(Server.Endpoint, region: region);

    public static AmazonKeyManagementServiceClient CreateClient(Uri endpoint, int maxErrorRetry = 0, string region = "us-east-1") =>
        new(new BasicAWSCredentials("AKIDLOCAL", "local-secret"), new AmazonKeyManagementServiceConfig
        {
            ServiceURL = endpoint.ToString(),
            AuthenticationRegion = region,
            MaxErrorRetry = maxErrorRetry,
        });

    public async ValueTask DisposeAsync()
    {
        Kms.Dispose();
        await Server.StopAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
