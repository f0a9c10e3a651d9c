namespace KmsConsole.Web.SignIn;

/// <summary>
/// Someone the identity provider signed in but who holds none of the console's roles sees only the page that says
/// so, whatever address they ask for, and every other request of theirs (the Blazor circuit, the audit export, any
/// action) is refused with 403 before it reaches the console. Sign-in, sign-out and the page's own assets stay open.
/// </summary>
public static class NoConsoleRoleGate
{
    public const string PagePath = "/denied";

    private static readonly string[] OpenPaths =
    [
        LocalSignIn.SignInPath, LocalSignIn.SignOutEndpoint, ExternalSignIn.SignedOutPath, PagePath, "/not-found", "/error",
        "/_framework", "/_content", "/assets", "/favicon.ico",
    ];

    /// <summary>Goes after authentication and before routing, so the rewritten path is the one routed.</summary>
    public static IApplicationBuilder UseNoConsoleRoleGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true || ConsoleRoleMapping.HasConsoleRole(user) || IsOpen(context.Request.Path))
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        var wantsPage = (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            && context.Request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
        if (wantsPage)
        {
            context.Request.Path = PagePath;
            context.Request.QueryString = QueryString.Empty;
            await next(context);
            return;
        }

        await context.Response.WriteAsync("You have no role in KmsConsole.");
    });

    private static bool IsOpen(PathString path) =>
        OpenPaths.Any(open => path.StartsWithSegments(open, StringComparison.OrdinalIgnoreCase));
}
