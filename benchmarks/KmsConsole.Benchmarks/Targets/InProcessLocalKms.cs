namespace KmsConsole.Benchmarks.Targets;

/// <summary>Starts LocalKmsServer inside this process (placeholder until the server lands).</summary>
internal static class InProcessLocalKms
{
    public static Task<InProcessServer> StartAsync(string dataDirectory) =>
        throw new NotSupportedException($"LocalKmsServer has not landed yet ({dataDirectory}).");
}

internal sealed record InProcessServer(Uri Endpoint) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
