using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.CookiePolicy;

namespace KmsConsole.Web.Security;

/// <summary>
/// Every cookie the console sets is HttpOnly (no script of the console reads one) and Secure whenever the request
/// came over https (behind a TLS proxy that means the forwarded scheme; see docs/security.md). SameSite stays what each
/// cookie's flow needs: Strict for the local sign-in and the anti-forgery cookie, Lax for the sign-in cookie of an
/// identity provider (the browser comes back from the provider's site), None for the OpenID Connect handler's
/// short-lived correlation and nonce cookies (the provider posts the answer back cross-site), which are always Secure.
/// </summary>
public static class ConsoleCookies
{
    public static IServiceCollection AddConsoleCookies(this IServiceCollection services)
    {
        services.Configure<CookiePolicyOptions>(options =>
        {
            options.Secure = CookieSecurePolicy.SameAsRequest;
            options.HttpOnly = HttpOnlyPolicy.Always;
            options.MinimumSameSitePolicy = SameSiteMode.Unspecified;
        });
        services.AddAntiforgery(options =>
        {
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            // SecurityHeaders sends X-Frame-Options and frame-ancestors on every response, not only on forms.
            options.SuppressXFrameOptionsHeader = true;
        });
        return services;
    }

    /// <summary>
    /// A script or download (no text/html in Accept) that is signed in but lacks the role gets 403 with a message,
    /// not a redirect to the "not allowed" page meant for people.
    /// </summary>
    public static void RefuseScriptsWithStatus(CookieAuthenticationOptions options)
    {
        var redirect = options.Events.OnRedirectToAccessDenied;
        options.Events.OnRedirectToAccessDenied = async context =>
        {
            if (WantsPage(context.Request))
            {
                await redirect(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Your roles do not allow this.");
        };
    }

    public static bool WantsPage(HttpRequest request) =>
        request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
}
