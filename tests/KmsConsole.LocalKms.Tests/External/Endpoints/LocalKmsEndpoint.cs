namespace KmsConsole.LocalKms.Tests.External.Endpoints;

/// <summary>The local KMS endpoint on a free loopback port with its own temporary data folder.</summary>
public sealed class LocalKmsEndpoint : IAsyncDisposable
{
    private LocalKmsEndpoint(Uri endpoint, string dataDirectory)
    {
        Endpoint = endpoint;
        DataDirectory = dataDirectory;
    }

    public Uri Endpoint { get; }

    public string DataDirectory { get; }

    public static Task<LocalKmsEndpoint> StartAsync(bool seed)
    {
        _ = seed;
        throw new SkipException("LocalKmsServer (src/KmsConsole.LocalKms) has not landed yet; the local side of the external checks waits for it.");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
