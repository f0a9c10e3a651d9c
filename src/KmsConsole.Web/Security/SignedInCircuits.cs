namespace KmsConsole.Web.Security;

/// <summary>
/// Only a signed-in user opens a Blazor circuit: the pages an anonymous visitor sees (sign-in, not found, error)
/// are rendered without one, so the hub's negotiate and connect requests are refused before they reach it.
/// Goes after authentication.
/// </summary>
public static class SignedInCircuits
{
    public const string HubPath = "/_blazor";

    public static IApplicationBuilder UseSignedInCircuits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(HubPath, StringComparison.OrdinalIgnoreCase) && context.User.Identity?.IsAuthenticated != true)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Sign in first: the console's live pages are only served to signed-in users.");
            return;
        }

        await next(context);
    });

    /// <summary>Whether a page is rendered interactively: only for a signed-in user (see the class summary).</summary>
    public static bool MayOpenCircuit(HttpContext context) => context.User.Identity?.IsAuthenticated == true;
}
