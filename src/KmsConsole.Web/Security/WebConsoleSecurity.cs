using KmsConsole.Web.SignIn;

namespace KmsConsole.Web.Security;

/// <summary>The console's hardening in one place: limits, cookies and headers (services), then the middleware order.</summary>
public static class WebConsoleSecurity
{
    public static WebApplicationBuilder AddConsoleSecurity(this WebApplicationBuilder builder)
    {
        builder.WebHost.UseRequestLimits();
        builder.Services.AddConsoleCookies();
        builder.Services.AddSingleton(sp => new ContentSecurityPolicy(sp.GetRequiredService<SignInSettings>().IdentityProviders));
        return builder;
    }

    /// <summary>First in the pipeline, so error pages, status pages and static files carry the headers too.</summary>
    public static IApplicationBuilder UseConsoleSecurityHeaders(this WebApplication app) =>
        app.UseSecurityHeaders(app.Services.GetRequiredService<ContentSecurityPolicy>());
}
