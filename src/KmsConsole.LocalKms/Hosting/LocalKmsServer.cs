using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KmsConsole.LocalKms.Hosting;

/// <summary>A local KMS endpoint on its own Kestrel listener, for tests, tools and the standalone program.</summary>
public sealed class LocalKmsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private LocalKmsServer(WebApplication app, Uri endpoint, LocalKmsOptions options)
    {
        _app = app;
        Endpoint = endpoint;
        Options = options;
    }

    /// <summary>The base address, e.g. http://127.0.0.1:45123/ — use it as the SDK's ServiceURL.</summary>
    public Uri Endpoint { get; }

    public LocalKmsOptions Options { get; }

    /// <summary>Live fault injection settings: changes apply to the next request.</summary>
    public FaultInjectionOptions Faults => Options.Faults;

    /// <summary>The endpoint's clock (its offset can be moved for rehearsals).</summary>
    public LocalKmsClock Clock => _app.Services.GetRequiredService<LocalKmsClock>();

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts an endpoint on <paramref name="url"/>; "http://127.0.0.1:0" picks a free port.</summary>
    public static Task<LocalKmsServer> StartAsync(
        LocalKmsOptions options,
        string url = "http://127.0.0.1:0",
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default) =>
        StartAsync(options, url, timeProvider, configureServices: null, mapEndpoints: null, cancellationToken);

    /// <summary>
    /// Starts an endpoint with extra services (e.g. an <see cref="Protocol.IKmsOperationAuthorizer"/> that enforces IAM
    /// policies) and extra endpoints on the same listener (e.g. a local IAM endpoint).
    /// </summary>
    public static async Task<LocalKmsServer> StartAsync(
        LocalKmsOptions options,
        string url,
        TimeProvider? timeProvider,
        Action<IServiceCollection>? configureServices,
        Action<IEndpointRouteBuilder>? mapEndpoints,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        builder.Services.AddLocalKms(options);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        mapEndpoints?.Invoke(app);
        app.MapLocalKms();

        // Open (and seed) the data folder before accepting requests, so errors surface here.
        _ = app.Services.GetRequiredService<LocalKmsRuntime>();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LocalKmsServer(app, new Uri(address.TrimEnd('/') + "/"), options);
    }

    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Blocks until the host shuts down (Ctrl+C); for the standalone program.</summary>
    internal Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();
}
