using KmsConsole.LocalKms.Hosting;

namespace KmsConsole.LocalKms.Tests.External.Endpoints;

/// <summary>The local KMS endpoint on a free loopback port with its own temporary data folder.</summary>
public sealed class LocalKmsEndpoint : IAsyncDisposable
{
    private readonly LocalKmsServer _server;
    private readonly DirectoryInfo _data;

    private LocalKmsEndpoint(LocalKmsServer server, DirectoryInfo data)
    {
        _server = server;
        _data = data;
    }

    public Uri Endpoint => _server.Endpoint;

    public string DataDirectory => _data.FullName;

    /// <summary>Starts LocalKmsServer in-process on 127.0.0.1 with a fresh data folder.</summary>
    public static async Task<LocalKmsEndpoint> StartAsync(bool seed)
    {
        var data = Directory.CreateTempSubdirectory("kms-external-");
        try
        {
            var server = await LocalKmsServer.StartAsync(
                new LocalKmsOptions { DataDirectory = data.FullName, Seed = seed },
                "http://127.0.0.1:0");
            return new LocalKmsEndpoint(server, data);
        }
        catch
        {
            data.Delete(recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            _data.Delete(recursive: true);
        }
        catch (IOException)
        {
            // SQLite may hold its file a moment after shutdown; the temp folder is cleaned by the OS.
        }
    }
}
