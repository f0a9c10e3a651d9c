namespace KmsConsole.Web.Security;

/// <summary>
/// The headers every response carries (pages, endpoints, assets, errors), and no-store on the audit's answers so
/// no proxy or browser cache keeps a copy of the trail. Set when the response starts, so they win over anything a
/// handler wrote before.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The audit answers a cache must not keep: the CSV export and the API's audit resources.</summary>
    public static readonly string[] NoStorePaths = [Audit.AuditExport.Path, "/api/v1/audit"];

    public const string StrictTransportSecurity = "max-age=31536000";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app, ContentSecurityPolicy policy) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy.HeaderValue(ContentSecurityPolicy.NonceOf(context));
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            if (context.Request.IsHttps)
            {
                headers.StrictTransportSecurity = StrictTransportSecurity;
            }

            if (NoStorePaths.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
            {
                headers.CacheControl = "no-store";
                headers.Pragma = "no-cache";
            }

            headers.Remove("Server");
            return Task.CompletedTask;
        });
        return next(context);
    });
}
