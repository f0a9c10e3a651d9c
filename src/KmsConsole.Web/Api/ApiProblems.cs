using Amazon.Runtime;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KmsConsole.Web.Api;

/// <summary>
/// RFC 9457 problem details for every error of the API, mapped in this one place: a Rotation refusal by its kind, an
/// AWS error the services let through by AWS's code, a request the API could not read. A problem never carries key
/// material, a token or a secret: only the services' messages, written for the user, and AWS's code, message and request id.
/// </summary>
public static class ApiProblems
{
    public const string TypeBase = "https://kmsconsole.dev/problems/";

    public static ProblemDetails For(RotationRefusedException refusal)
    {
        var (status, type) = refusal.Kind switch
        {
            RefusalKind.Invalid => (StatusCodes.Status422UnprocessableEntity, "invalid"),
            RefusalKind.NotFound => (StatusCodes.Status404NotFound, "not-found"),
            RefusalKind.Forbidden => (StatusCodes.Status403Forbidden, "forbidden"),
            RefusalKind.KmsRefused => (StatusCodes.Status422UnprocessableEntity, "kms-refused"),
            RefusalKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "unavailable"),
            _ => (StatusCodes.Status409Conflict, "conflict"),
        };
        var problem = Problem(status, refusal.Message, type);
        if (refusal.Reasons.Count > 1 || refusal.Reasons.FirstOrDefault() != refusal.Message)
        {
            problem.Extensions["reasons"] = refusal.Reasons;
        }

        if (refusal.Field is { } field)
        {
            problem.Extensions["field"] = field;
        }

        AddAws(problem, refusal.AwsErrorCode, refusal.AwsMessage, refusal.AwsRequestId);
        return problem;
    }

    /// <summary>An AWS error that reached the API without a Rotation refusal around it (the key detail reads KMS live).</summary>
    public static ProblemDetails For(AmazonServiceException aws)
    {
        var notFound = aws.ErrorCode is "NotFoundException" || aws.StatusCode == System.Net.HttpStatusCode.NotFound;
        var unavailable = (int)aws.StatusCode >= 500 || aws.ErrorCode is "KMSInternalException" or "DependencyTimeoutException";
        var (status, type) = notFound ? (StatusCodes.Status404NotFound, "not-found")
            : unavailable ? (StatusCodes.Status503ServiceUnavailable, "unavailable")
            : (StatusCodes.Status422UnprocessableEntity, "kms-refused");
        var problem = Problem(status, $"KMS refused: {aws.ErrorCode}: {aws.Message}", type);
        AddAws(problem, aws.ErrorCode, aws.Message, aws.RequestId);
        return problem;
    }

    public static ProblemDetails Problem(int status, string detail, string? type = null) => new()
    {
        Status = status,
        Title = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
        Detail = detail,
        Type = TypeBase + (type ?? TypeFor(status)),
    };

    public static Task WriteAsync(HttpContext context, int status, string detail) => WriteAsync(context, Problem(status, detail));

    public static async Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        // The result writes application/problem+json whatever the caller accepts (the problem details service alone
        // refuses a caller that accepts only text/html).
        await TypedResults.Problem(problem).ExecuteAsync(context);
    }

    private static void AddAws(ProblemDetails problem, string? code, string? message, string? requestId)
    {
        if (code is not null)
        {
            problem.Extensions["awsErrorCode"] = code;
        }

        if (message is not null)
        {
            problem.Extensions["awsMessage"] = message;
        }

        if (requestId is not null)
        {
            problem.Extensions["awsRequestId"] = requestId;
        }
    }

    private static string TypeFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad-request",
        StatusCodes.Status401Unauthorized => "unauthorized",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not-found",
        StatusCodes.Status409Conflict => "conflict",
        StatusCodes.Status422UnprocessableEntity => "invalid",
        StatusCodes.Status429TooManyRequests => "too-many-requests",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        _ => "error",
    };
}

/// <summary>
/// The API's endpoint filter: a refusal of the Rotation services (or an AWS error, an unknown target) becomes problem
/// details here and nowhere else.
/// </summary>
internal sealed class RefusalProblems : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (RotationRefusedException refusal)
        {
            return Results.Problem(ApiProblems.For(refusal));
        }
        catch (AmazonServiceException aws)
        {
            return Results.Problem(ApiProblems.For(aws));
        }
        catch (KeyNotFoundException missing)
        {
            return Results.Problem(ApiProblems.Problem(StatusCodes.Status404NotFound, missing.Message));
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException || (e is TaskCanceledException && !context.HttpContext.RequestAborted.IsCancellationRequested))
        {
            return Results.Problem(ApiProblems.Problem(StatusCodes.Status503ServiceUnavailable, "KMS did not answer in time; try again later."));
        }
    }
}

/// <summary>
/// For paths under /api: the console's HTML status pages stay out of the way, an error response the framework left
/// without a body (a request it could not bind, an unknown route) gets problem details, and an unexpected exception is
/// a 500 problem without its message, which may hold internals.
/// </summary>
internal static class ApiResponses
{
    public const string PathPrefix = "/api";

    public static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments(PathPrefix, StringComparison.OrdinalIgnoreCase);

    public static IApplicationBuilder UseApiResponses(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!IsApi(context))
        {
            await next(context);
            return;
        }

        if (context.Features.Get<IStatusCodePagesFeature>() is { } pages)
        {
            pages.Enabled = false;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException bad) when (!context.Response.HasStarted)
        {
            await ApiProblems.WriteAsync(context, bad.StatusCode, bad.Message);
            return;
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("KmsConsole.Web.Api")
                .LogError(e, "The API failed on {Method} {Path}.", context.Request.Method, context.Request.Path);
            await ApiProblems.WriteAsync(context, StatusCodes.Status500InternalServerError, "The console failed on this request; its log says why.");
            return;
        }

        if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null
            && context.Response.ContentType is null)
        {
            await ApiProblems.WriteAsync(context, context.Response.StatusCode, context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"There is no {context.Request.Method} {context.Request.Path} in the API; see /openapi/v1.json.",
                StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
                StatusCodes.Status415UnsupportedMediaType => "Send the request body as application/json.",
                _ => "The request could not be read; see /openapi/v1.json for its shape.",
            });
        }
    });
}
