using System.Globalization;
using KmsConsole.Rotation;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Mvc;

namespace KmsConsole.Web.Audit;

/// <summary>
/// The audit trail as CSV, streamed from the database to the response as it is read, so exporting
/// a million events never holds them all in memory. Only auditors and admins may export.
/// </summary>
public static class AuditExport
{
    public const string Path = "/audit/export.csv";

    public static IEndpointRouteBuilder MapAuditExport(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, async (HttpContext context, [FromServices] AuditTrail trail,
            [FromQuery] string? actor, [FromQuery] string? action, [FromQuery] string? subject, [FromQuery] string? run,
            [FromQuery(Name = "from")] string? fromDay, [FromQuery(Name = "to")] string? toDay, CancellationToken cancellationToken) =>
        {
            if (!string.IsNullOrWhiteSpace(run) && !Guid.TryParse(run, out _))
            {
                return Results.Text("The run id is not a valid id.", statusCode: StatusCodes.Status400BadRequest);
            }

            if (!TryDay(fromDay, out var from) || !TryDay(toDay, out var to))
            {
                return Results.Text("'from' and 'to' are days written yyyy-MM-dd, such as 2026-12-01.", statusCode: StatusCodes.Status400BadRequest);
            }

            var filter = Filter(actor, action, subject, run, from, to);
            var exportedBy = ConsoleActor.From(context.User);
            var fileName = $"kmsconsole-audit-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.csv";
            return Results.Stream(
                stream => trail.ExportCsvAsync(exportedBy, stream, filter, cancellationToken),
                contentType: "text/csv; charset=utf-8",
                fileDownloadName: fileName);
        }).RequireAuthorization(ConsolePolicies.Audit);
        return endpoints;
    }

    public static AuditFilter Filter(string? actor, string? action, string? subject, string? run, DateTime? from, DateTime? to) => new()
    {
        Actor = Blank(actor),
        Action = Blank(action),
        Subject = Blank(subject),
        RunId = Guid.TryParse(run, out var runId) ? runId : null,
        From = from is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f.Date, DateTimeKind.Utc)) : null,
        To = to is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t.Date, DateTimeKind.Utc)).AddDays(1) : null,
    };

    public static string LinkFor(string? actor, string? action, string? subject, string? run, DateTime? from, DateTime? to)
    {
        var query = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                query.Add($"{name}={Uri.EscapeDataString(value.Trim())}");
            }
        }

        Add("actor", actor);
        Add("action", action);
        Add("subject", subject);
        Add("run", run);
        Add("from", from?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add("to", to?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return Path.TrimStart('/') + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty);
    }

    private static bool TryDay(string? value, out DateTime? day)
    {
        day = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        if (DateTime.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            day = parsed;
            return true;
        }

        return false;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
