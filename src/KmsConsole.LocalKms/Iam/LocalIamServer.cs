using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace KmsConsole.LocalKms.Iam;

public static class LocalIamServiceCollectionExtensions
{
    /// <summary>
    /// Registers the local IAM store, Query endpoint, KMS policy enforcer and, for a host that also serves KMS,
    /// the <see cref="KmsConsole.LocalKms.Protocol.IKmsOperationAuthorizer"/> that applies it (resolved only
    /// where the KMS pipeline asks for authorizers; it needs the KMS <see cref="KmsConsole.LocalKms.Keys.KeyRing"/>).
    /// </summary>
    public static IServiceCollection AddLocalIam(this IServiceCollection services, Action<LocalIamOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new LocalIamOptions();
        configure(options);
        return services.AddLocalIam(_ => options);
    }

    /// <summary>As <see cref="AddLocalIam(IServiceCollection, Action{LocalIamOptions})"/>, with options built from the container on first use.</summary>
    public static IServiceCollection AddLocalIam(this IServiceCollection services, Func<IServiceProvider, LocalIamOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton<LocalIamOptions>(options);
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<LocalIamOptions>();
            var store = new IamStore(settings, sp.GetService<TimeProvider>());
            if (settings.Seed && store.IsNew)
            {
                // Once, on first use of a fresh data folder; nothing else holds the store's gate yet, and ASP.NET
                // Core has no synchronization context, so waiting here cannot deadlock.
                IamSeed.ApplyAsync(store, settings).GetAwaiter().GetResult();
            }

            return store;
        });
        services.TryAddSingleton<IamQueryEndpoint>();
        services.TryAddSingleton<IamPolicyEnforcer>();
        services.TryAddSingleton<KmsCallRecorder>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<KmsConsole.LocalKms.Protocol.IKmsOperationAuthorizer, IamKmsAuthorizer>());
        return services;
    }

    /// <summary>
    /// IAM next to a local KMS endpoint: iam.db in the KMS data folder, the same account and region,
    /// enforcement of IAM policies on KMS calls when configuration "LocalKms:Iam:EnforceKmsPermissions" is true
    /// (off by default), and the workshop's seeded role when the KMS endpoint seeds (unless "LocalKms:Iam:Seed" is false). The KMS host routes Query requests with <see cref="IamQueryEndpoint.IsIamRequest"/>.
    /// </summary>
    public static IServiceCollection AddLocalIamForKms(this IServiceCollection services) =>
        services.AddLocalIam(sp =>
        {
            var kms = sp.GetRequiredService<KmsConsole.LocalKms.Hosting.LocalKmsOptions>();
            var configuration = sp.GetService<Microsoft.Extensions.Configuration.IConfiguration>();
            return new LocalIamOptions
            {
                DataDirectory = kms.DataDirectory,
                AccountId = kms.AccountId,
                Region = kms.Region,
                EnforceKmsPermissions = kms.Iam.EnforceKmsPermissions ?? Flag(configuration, nameof(LocalIamOptions.EnforceKmsPermissions)) ?? false,
                Seed = kms.Seed && (kms.Iam.Seed ?? Flag(configuration, nameof(LocalIamOptions.Seed)) ?? true),
            };
        });

    private static bool? Flag(Microsoft.Extensions.Configuration.IConfiguration? configuration, string name) =>
        configuration is not null && bool.TryParse(configuration[LocalIamOptions.SectionName + ":" + name], out var value) ? value : null;

    /// <summary>Serves IAM alone on POST / (a host that also serves KMS on / routes with <see cref="IamQueryEndpoint.IsIamRequest"/> instead).</summary>
    public static IEndpointRouteBuilder MapLocalIam(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost("/", (Microsoft.AspNetCore.Http.HttpContext context) => context.RequestServices.GetRequiredService<IamQueryEndpoint>().HandleAsync(context));
        return endpoints;
    }
}

/// <summary>The local IAM endpoint hosted on its own (tests, or the AWS CLI with --endpoint-url).</summary>
public sealed class LocalIamServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalIamServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public LocalIamOptions Options => _app.Services.GetRequiredService<LocalIamOptions>();

    public IamStore Store => _app.Services.GetRequiredService<IamStore>();

    public IamPolicyEnforcer Enforcer => _app.Services.GetRequiredService<IamPolicyEnforcer>();

    /// <summary>Starts Kestrel on <paramref name="url"/> ("http://127.0.0.1:0" picks a free port) with state in &lt;dataDirectory&gt;/iam.db.</summary>
    public static async Task<LocalIamServer> StartAsync(string dataDirectory, string url = "http://127.0.0.1:0", Action<LocalIamOptions>? configure = null,
        TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        builder.Services.AddLocalIam(options =>
        {
            options.DataDirectory = dataDirectory;
            configure?.Invoke(options);
        });
        var app = builder.Build();
        app.MapLocalIam();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LocalIamServer(app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
