using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KmsConsole.LocalKms.Hosting;

/// <summary>
/// Reading and moving the clock of a running endpoint for rehearsals, from the same machine only (403 otherwise):
/// GET /_localkms/clock reads it; POST /_localkms/clock with {"advanceDays": 366} (or "advanceSeconds",
/// or "offsetSeconds" to set the offset from the host clock) moves it and applies what became due.
/// </summary>
public static class ClockApi
{
    public const string Route = "/_localkms/clock";

    public static IEndpointRouteBuilder MapLocalKmsClock(this IEndpointRouteBuilder endpoints)
    {
        // Reads are loopback-only too: the clock says how far a rehearsal has moved time, which is no one else's business.
        endpoints.MapGet(Route, (HttpContext http, LocalKmsClock clock) => IsLoopback(http) ? Answer(clock) : Results.StatusCode((int)HttpStatusCode.Forbidden))
            .AllowAnonymous();
        endpoints.MapPost(Route, async (HttpContext http, LocalKmsClock clock, TimeDrivenChanges changes) =>
        {
            if (!IsLoopback(http))
            {
                return Results.StatusCode((int)HttpStatusCode.Forbidden);
            }

            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            }
            catch (JsonException)
            {
                return Results.BadRequest(new { message = "Send a JSON object with advanceDays, advanceSeconds or offsetSeconds." });
            }

            if (body?["offsetSeconds"] is JsonValue offset && offset.TryGetValue<double>(out var offsetSeconds))
            {
                clock.SetOffset(TimeSpan.FromSeconds(offsetSeconds));
            }
            else if (body?["advanceSeconds"] is JsonValue seconds && seconds.TryGetValue<double>(out var advanceSeconds))
            {
                clock.Advance(TimeSpan.FromSeconds(advanceSeconds));
            }
            else if (body?["advanceDays"] is JsonValue days && days.TryGetValue<double>(out var advanceDays))
            {
                clock.Advance(TimeSpan.FromDays(advanceDays));
            }
            else
            {
                return Results.BadRequest(new { message = "Send a JSON object with advanceDays, advanceSeconds or offsetSeconds." });
            }

            changes.ApplyNow();
            return Answer(clock);
        }).AllowAnonymous().DisableAntiforgery();
        return endpoints;
    }

    private static IResult Answer(LocalKmsClock clock)
    {
        var now = clock.GetUtcNow();
        return Results.Json(new
        {
            now = now.ToString("O", CultureInfo.InvariantCulture),
            nowEpochSeconds = AwsJson.Timestamp(now).GetValue<double>(),
            offsetSeconds = clock.Offset.TotalSeconds,
        });
    }

    private static bool IsLoopback(HttpContext http)
    {
        var remote = http.Connection.RemoteIpAddress;

        // In-process test servers have no network peer at all.
        return remote is null || IPAddress.IsLoopback(remote);
    }
}
