using KmsConsole.LocalKms.Hosting;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Hosting;

/// <summary>
/// The embedded default: with no AWS target configured, the console starts the local KMS endpoint
/// in-process on loopback (http://127.0.0.1:4599, data under ./data/localkms, the workshop's keys)
/// and the Rotation target "local" points at it. Registered before the Rotation services, so the
/// endpoint is up before the orchestrator's first call.
/// </summary>
public sealed class HostedLocalKms(IOptions<ConsoleOptions> console, IConfiguration configuration, TimeProvider clock, ILogger<HostedLocalKms> logger)
    : IHostedService, IAsyncDisposable
{
    private LocalKmsServer? server;

    public Uri? Endpoint => server?.Endpoint;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = new LocalKmsOptions();
        configuration.GetSection(LocalKmsOptions.SectionName).Bind(options);
        Directory.CreateDirectory(options.DataDirectory);
        server = await LocalKmsServer.StartAsync(options, console.Value.LocalKmsUrl, clock, cancellationToken);
        logger.LogInformation("Local KMS endpoint listening on {Endpoint} with data in {DataDirectory}.", server.Endpoint, Path.GetFullPath(options.DataDirectory));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (server is not null)
        {
            await server.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
            server = null;
        }
    }
}
