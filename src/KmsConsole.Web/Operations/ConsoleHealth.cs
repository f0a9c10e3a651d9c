using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KmsConsole.Web.Operations;

/// <summary>
/// <c>/health/live</c> (the process answers; no checks) and <c>/health/ready</c> (every check tagged
/// <see cref="ReadyTag"/>, whoever registered it: the database, the KMS targets, the orchestrator loop, the audit
/// trail's integrity), anonymous, as JSON of statuses and short descriptions with nothing secret in them.
/// </summary>
public static class ConsoleHealth
{
    public const string ReadyTag = "ready";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static IServiceCollection AddConsoleHealth(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddCheck<KmsTargetsHealthCheck>("kms-targets", tags: [ReadyTag])
            .AddCheck<OrchestratorHealthCheck>("orchestrator", tags: [ReadyTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapConsoleHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync }).AllowAnonymous();
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                data = e.Value.Data.Count == 0 ? null : e.Value.Data.ToDictionary(d => d.Key, d => d.Value?.ToString()),
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}
