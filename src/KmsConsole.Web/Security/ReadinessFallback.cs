using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KmsConsole.Web.Security;

/// <summary>
/// Answers <c>/health/ready</c> (every check tagged "ready", the audit integrity check among them) only when no
/// endpoint of that path is mapped: the console's health endpoints own it once they are there, and this steps aside.
/// Goes after routing, so the matched endpoint is known.
/// </summary>
public static class ReadinessFallback
{
    public const string Path = "/health/ready";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IApplicationBuilder UseReadinessFallback(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint() is not null || !context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase)
            || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
        {
            await next(context);
            return;
        }

        var report = await context.RequestServices.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(c => c.Tags.Contains("ready"), context.RequestAborted);
        context.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, Json));
    });
}
