using KmsConsole.LocalKms.Iam;
using KmsConsole.LocalKms.Operations;
using KmsConsole.LocalKms.Protocol;
using KmsConsole.LocalKms.Quotas;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KmsConsole.LocalKms.Hosting;

/// <summary>Hosting the local KMS endpoint inside an ASP.NET Core app.</summary>
public static class LocalKmsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the endpoint's services. The data folder is opened (and seeded when fresh) on first use.
    /// A <see cref="TimeProvider"/> registered by the host drives the endpoint's clock; otherwise the system clock.
    /// </summary>
    public static IServiceCollection AddLocalKms(this IServiceCollection services, Action<LocalKmsOptions> configure)
    {
        services.AddOptions<LocalKmsOptions>()
            .Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "LocalKms:DataDirectory is required.")
            .Validate(o => o.MaxRequestBodyBytes > 0, "LocalKms:MaxRequestBodyBytes must be positive.")
            .Validate(o => o.RequestBodyTimeout > TimeSpan.Zero, "LocalKms:RequestBodyTimeout must be positive.")
            .Validate(o => o.SweepInterval > TimeSpan.Zero, "LocalKms:SweepInterval must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<LocalKmsOptions>>().Value);
        AddCore(services);
        return services;
    }

    internal static IServiceCollection AddLocalKms(this IServiceCollection services, LocalKmsOptions options)
    {
        services.AddSingleton(options);
        AddCore(services);
        return services;
    }

    /// <summary>
    /// Maps the KMS protocol (POST with X-Amz-Target: TrentService.&lt;Operation&gt;) at <paramref name="pattern"/>
    /// and the loopback-only clock route at /_localkms/clock.
    /// </summary>
    public static IEndpointRouteBuilder MapLocalKms(this IEndpointRouteBuilder endpoints, string pattern = "/")
    {
        // IAM's Query protocol (form-encoded Action=...) shares the endpoint, as one --endpoint-url serves both.
        endpoints.MapPost(pattern, (HttpContext http, KmsRequestHandler handler) => IamQueryEndpoint.IsIamRequest(http.Request)
                ? http.RequestServices.GetRequiredService<IamQueryEndpoint>().HandleAsync(http)
                : handler.HandleAsync(http))
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithMetadata(KmsProtocolEndpointMetadata.Instance)
            .WithDisplayName("Local KMS (AWS JSON 1.1)");
        endpoints.MapLocalKmsClock();
        return endpoints;
    }

    private static void AddCore(IServiceCollection services)
    {
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<LocalKmsOptions>();
            return new LocalKmsClock(sp.GetService<TimeProvider>() ?? TimeProvider.System, options.ClockOffset);
        });
        services.TryAddSingleton<LocalKmsRuntime>();
        services.TryAddSingleton(sp => sp.GetRequiredService<LocalKmsRuntime>().Ring);
        services.TryAddSingleton(sp => sp.GetRequiredService<LocalKmsRuntime>().Rings);
        services.TryAddSingleton(sp => sp.GetRequiredService<LocalKmsRuntime>().ImportTokens);
        services.TryAddSingleton(_ => OperationCatalog.Create());
        services.TryAddSingleton(sp => new RequestQuotas(sp.GetRequiredService<LocalKmsOptions>().Quotas, sp.GetRequiredService<LocalKmsClock>()));
        services.TryAddSingleton(sp => new SignatureV4(sp.GetRequiredService<LocalKmsOptions>().Authentication, TimeProvider.System));
        services.TryAddSingleton<KmsRequestHandler>();
        services.AddLocalIamForKms();
        services.TryAddSingleton<TimeDrivenChanges>();
        services.AddHostedService(sp => sp.GetRequiredService<TimeDrivenChanges>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, AwsTargetMatcherPolicy>());
    }
}
