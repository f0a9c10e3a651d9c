using KmsConsole.Rotation.Telemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace KmsConsole.Web.Operations;

/// <summary>
/// Section <c>Telemetry</c>. OTLP export is on when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the OpenTelemetry SDK's own
/// variable, with its OTEL_EXPORTER_OTLP_* companions for protocol and headers); the Prometheus endpoint when
/// <see cref="Prometheus"/> is true.
/// </summary>
public sealed class ConsoleTelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>The OpenTelemetry SDK's variable (read from configuration, so environment, appsettings or --key=value).</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Serve the metrics in Prometheus' text format at <see cref="PrometheusPath"/>, anonymously (a scraper does not sign
    /// in). They hold no secret and no user (target names, Regions, workflows, operations, error codes, routes), but they
    /// describe the estate: set <see cref="PrometheusPort"/> to answer only on a port the load balancer does not forward.
    /// </summary>
    public bool Prometheus { get; set; }

    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>When set, the metrics answer only on this port (add it to the console's URLs); on any other port they are 404.</summary>
    public int? PrometheusPort { get; set; }
}

/// <summary>
/// OpenTelemetry for the console: incoming requests and the orchestrator's spans (<see cref="RotationTelemetry"/>: run
/// steps, KMS and IAM calls) as traces; request, step, KMS call and inventory metrics; logs with their scopes (run id,
/// signed-in user). Nothing is registered unless an exporter is configured, so telemetry that is off costs nothing:
/// no listener on the sources, no SDK in the process.
/// </summary>
public static class ConsoleTelemetry
{
    public const string ServiceName = "kmsconsole";

    public static WebApplicationBuilder AddConsoleTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ConsoleTelemetryOptions.SectionName).Get<ConsoleTelemetryOptions>() ?? new ConsoleTelemetryOptions();
        builder.Services.AddOptions<ConsoleTelemetryOptions>().Bind(builder.Configuration.GetSection(ConsoleTelemetryOptions.SectionName))
            .Validate(o => o.PrometheusPath.StartsWith('/'), "Telemetry:PrometheusPath must start with '/'.")
            .Validate(o => o.PrometheusPort is null or (> 0 and < 65536), "Telemetry:PrometheusPort must be a TCP port (1-65535).")
            .ValidateOnStart();
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[ConsoleTelemetryOptions.OtlpEndpointKey]);
        if (!otlp && !options.Prometheus)
        {
            return builder;
        }

        builder.Services.AddHostedService<OutboxBacklogGauge>();
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService(ServiceName));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddAspNetCoreInstrumentation().AddMeter(RotationTelemetry.Name, OutboxBacklogGauge.MeterName).AddMeter(BlazorMeters);
            if (options.Prometheus)
            {
                metrics.AddPrometheusExporter();
            }

            if (otlp)
            {
                metrics.AddOtlpExporter();
            }
        });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path, options.PrometheusPath)).AddSource(RotationTelemetry.Name).AddOtlpExporter());
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeScopes = true;
                logging.IncludeFormattedMessage = true;
                logging.AddOtlpExporter();
            });
        }

        return builder;
    }

    /// <summary>ASP.NET Core's own Blazor meters: route changes and browser events, component lifecycle, circuits.</summary>
    internal static readonly string[] BlazorMeters =
        ["Microsoft.AspNetCore.Components", "Microsoft.AspNetCore.Components.Lifecycle", "Microsoft.AspNetCore.Components.Server.Circuits"];

    public static WebApplication MapConsoleTelemetry(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConsoleTelemetryOptions>>().Value;
        if (options.Prometheus)
        {
            var endpoint = app.MapPrometheusScrapingEndpoint(options.PrometheusPath).AllowAnonymous();
            if (options.PrometheusPort is { } port)
            {
                endpoint.RequireHost($"*:{port}");
            }
        }

        return app;
    }

    /// <summary>Health probes and scrapes every few seconds would bury the requests people make.</summary>
    private static bool IsProbe(PathString path, string metricsPath) => path.StartsWithSegments("/health") || path.StartsWithSegments(metricsPath);

    /// <summary>Every log line of a request names who made it (the signed-in user's id), as a run's lines name the run.</summary>
    public static IApplicationBuilder UseSignedInUserLogScope(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.User.Identity?.IsAuthenticated != true)
            {
                await next(context);
                return;
            }

            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("KmsConsole.Web.Requests");
            using (logger.BeginScope(new Dictionary<string, object?> { ["User"] = context.User.Identity.Name }))
            {
                await next(context);
            }
        });
}
