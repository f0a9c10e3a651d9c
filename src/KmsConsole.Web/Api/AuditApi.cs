using KmsConsole.Rotation.Audit;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Mvc;

namespace KmsConsole.Web.Api;

/// <summary><c>/api/v1/audit</c>: the audit trail with the Audit page's filters and paging, its CSV export and its verification.</summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit").RequireAuthorization(ApiPolicies.Audit);

        audit.MapGet("/", async (AuditTrail trail, HttpContext http, [AsParameters] AuditQuery query, int? page, int? pageSize,
                CancellationToken cancellationToken) =>
                TypedResults.Ok(await trail.QueryAsync(ConsoleActor.From(http.User), query.ToFilter(), page ?? 0, pageSize ?? 50, cancellationToken)))
            .WithName("ListAuditEvents")
            .WithSummary("Audit events, newest first");

        audit.MapGet("/export.csv", async (AuditTrail trail, HttpContext http, [AsParameters] AuditQuery query, CancellationToken cancellationToken) =>
            {
                var actor = ConsoleActor.From(http.User);
                http.Response.ContentType = "text/csv; charset=utf-8";
                http.Response.Headers.ContentDisposition = "attachment; filename=\"audit.csv\"";
                await trail.ExportCsvAsync(actor, http.Response.Body, query.ToFilter(), cancellationToken);
            })
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .WithName("ExportAuditCsv")
            .WithSummary("The filtered events as CSV in sequence order, with each event's hashes (check offline with verify-audit-export)");

        audit.MapPost("/verify", async (AuditTrail trail, HttpContext http, [FromBody] VerifyBody? body, CancellationToken cancellationToken) =>
            {
                AuditAnchor? anchor = null;
                if (body?.Anchor is { Length: > 0 } text)
                {
                    try
                    {
                        anchor = AuditAnchor.Parse(text);
                    }
                    catch (FormatException e)
                    {
                        throw new RotationRefusedException(e.Message, kind: RefusalKind.Invalid) { Field = "anchor" };
                    }
                }

                var result = await trail.VerifyAsync(ConsoleActor.From(http.User), cancellationToken, anchor);
                return TypedResults.Ok(new AuditVerificationResponse(result.Intact, result.EventsChecked, result.FirstBrokenSequence, result.Reason,
                    result.Head?.ToString()));
            })
            .WithName("VerifyAudit")
            .WithSummary("Walks the whole chain; with an anchor also proves nothing was cut from its end since the anchor was noted");

        return api;
    }
}

/// <summary>The Audit page's filters.</summary>
public sealed record AuditQuery(string? Actor, string? Action, string? Subject, Guid? Run, DateTimeOffset? From, DateTimeOffset? To)
{
    public AuditFilter ToFilter() => new() { Actor = Actor, Action = Action, Subject = Subject, RunId = Run, From = From, To = To };
}

/// <param name="Head">The chain's head as sequence:hash; note it outside the console to check a later export or verification against.</param>
public sealed record AuditVerificationResponse(bool Intact, long EventsChecked, long? FirstBrokenSequence, string? Reason, string? Head);
