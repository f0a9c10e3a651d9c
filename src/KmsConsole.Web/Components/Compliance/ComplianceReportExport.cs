using System.Globalization;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Mvc;

namespace KmsConsole.Web.Components.Compliance;

/// <summary>The compliance report (CSV or JSON, one row per key × policy), streamed from the database as it is read.</summary>
public static class ComplianceReportExport
{
    public const string CsvPath = "/compliance/report.csv";
    public const string JsonPath = "/compliance/report.json";

    public static IEndpointRouteBuilder MapComplianceReport(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(CsvPath, (HttpContext context, [FromServices] ComplianceReports reports, [FromQuery] string? policy, [FromQuery] string? status,
                [FromQuery] string? target, [FromQuery] string? search, CancellationToken cancellationToken) =>
            Export(context, policy, status, target, search, "csv", "text/csv; charset=utf-8",
                (actor, stream, query) => reports.ExportCsvAsync(actor, stream, query, cancellationToken)))
            .RequireAuthorization(ConsolePolicies.View);
        endpoints.MapGet(JsonPath, (HttpContext context, [FromServices] ComplianceReports reports, [FromQuery] string? policy, [FromQuery] string? status,
                [FromQuery] string? target, [FromQuery] string? search, CancellationToken cancellationToken) =>
            Export(context, policy, status, target, search, "json", "application/json; charset=utf-8",
                (actor, stream, query) => reports.ExportJsonAsync(actor, stream, query, cancellationToken)))
            .RequireAuthorization(ConsolePolicies.View);
        return endpoints;
    }

    /// <summary>The page's link for the filters it shows.</summary>
    public static string LinkFor(string path, Guid? policy, ComplianceStatus? status, string? search)
    {
        var query = new List<string>();
        if (policy is { } p)
        {
            query.Add($"policy={p}");
        }

        if (status is { } s)
        {
            query.Add($"status={s}");
        }

        if (!string.IsNullOrWhiteSpace(search))
        {
            query.Add($"search={Uri.EscapeDataString(search.Trim())}");
        }

        return path.TrimStart('/') + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
    }

    private static IResult Export(HttpContext context, string? policy, string? status, string? target, string? search, string extension, string contentType,
        Func<Actor, Stream, ComplianceQuery, Task> write)
    {
        if (!string.IsNullOrWhiteSpace(policy) && !Guid.TryParse(policy, out _))
        {
            return Results.Text("The policy id is not a valid id.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (!string.IsNullOrWhiteSpace(status) && !Enum.TryParse<ComplianceStatus>(status, ignoreCase: false, out _))
        {
            return Results.Text($"The status is one of {string.Join(", ", Enum.GetNames<ComplianceStatus>())}.", statusCode: StatusCodes.Status400BadRequest);
        }

        var query = new ComplianceQuery
        {
            PolicyId = Guid.TryParse(policy, out var policyId) ? policyId : null,
            Status = Enum.TryParse<ComplianceStatus>(status, out var parsed) ? parsed : null,
            Target = string.IsNullOrWhiteSpace(target) ? null : target.Trim(),
            Search = string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
        };
        var actor = ConsoleActor.From(context.User);
        var fileName = $"kmsconsole-compliance-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.{extension}";
        return Results.Stream(stream => write(actor, stream, query), contentType, fileName);
    }
}
