using System.Security.Claims;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using KmsConsole.Web.Notifications;
using KmsConsole.Web.SignIn;
using KmsConsole.Web.Tokens;
using Microsoft.AspNetCore.RateLimiting;
using Scalar.AspNetCore;

namespace KmsConsole.Web.Api;

/// <summary>
/// The automation API's wiring: <c>/api/v1</c> groups (keys, runs, approvals, audit) over the same Rotation services as
/// the pages, personal access tokens and the identity provider's bearer tokens, problem details, a rate limit per
/// caller, the OpenAPI document at <c>/openapi/v1.json</c> and its reference page at <c>/scalar</c>.
/// </summary>
public static class ConsoleApi
{
    public const string Prefix = "/api/v1";
    public const string RateLimitPolicy = "Api.PerCaller";
    public const string PermitsPerMinuteSetting = "Api:RateLimit:PermitsPerMinute";

    public static WebApplicationBuilder AddConsoleApi(this WebApplicationBuilder builder, SignInSettings signIn)
    {
        builder.Services.AddSingleton<TokenOwners>();
        builder.Services.AddSingleton<ConsoleUserRecorder>();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        var bearerTokens = ApiBearerTokens.AddFor(builder, signIn);
        builder.Services.AddAuthentication().AddApiScheme(bearerTokens);
        builder.Services.AddAuthorizationBuilder().AddApiPolicies();

        var permits = builder.Configuration.GetValue<int?>(PermitsPerMinuteSetting) ?? 120;
        if (permits < 1)
        {
            throw new InvalidOperationException($"{PermitsPerMinuteSetting} is {permits}; it must be at least 1.");
        }

        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(CallerOf(context),
                _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.OnRejected = async (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ApiProblems.WriteAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests,
                    $"More than {permits} API calls a minute; try again in {seconds} s.");
            };
        });

        builder.AddNotifications();
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer<ApiDocument>().AddOperationTransformer<ApiExamples>());
        return builder;
    }

    /// <summary>After authorization, so the rate limit sees who calls; keeps the HTML status pages off API responses.</summary>
    public static IApplicationBuilder UseConsoleApi(this IApplicationBuilder app)
    {
        app.UseApiResponses();
        app.UseConsoleUserRecording();
        app.UseRateLimiter();
        return app;
    }

    public static IEndpointRouteBuilder MapConsoleApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGroup(Prefix)
            .AddEndpointFilter<RefusalProblems>()
            .RequireRateLimiting(RateLimitPolicy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .MapKeysApi()
            .MapRunsApi()
            .MapApprovalsApi()
            .MapAuditApi()
            .MapPoliciesApi().MapCampaignsApi();

        endpoints.MapOpenApi().RequireAuthorization(ConsolePolicies.View);
        endpoints.MapScalarApiReference(options => options.WithTitle("KmsConsole API")).RequireAuthorization(ConsolePolicies.View);
        return endpoints;
    }

    /// <summary>The caller a rate limit counts: the signed-in user (whatever token they use), else the address.</summary>
    private static string CallerOf(HttpContext context) =>
        context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } user
            ? "user:" + user
            : "address:" + context.Connection.RemoteIpAddress;
}
