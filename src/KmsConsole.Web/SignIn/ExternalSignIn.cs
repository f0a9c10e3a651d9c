using System.Security.Claims;
using KmsConsole.Web.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace KmsConsole.Web.SignIn;

/// <summary>What Entra ID and generic OpenID Connect sign-in share: the cookie, the sign-in and sign-out endpoints.</summary>
public static class ExternalSignIn
{
    /// <summary>Where sign-out and a failed sign-in land: a page that does not send the browser straight back to the provider.</summary>
    public const string SignedOutPath = "/signed-out";

    public const string SignInFailed = "sign-in-failed";

    public static void ConfigureCookie(CookieAuthenticationOptions options)
    {
        options.Cookie.Name = "KmsConsole.SignIn";
        options.Cookie.HttpOnly = true;
        // Lax rather than Strict: the browser arrives from the provider's site, and the redirect that ends the
        // sign-in must already carry the new cookie.
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        options.AccessDeniedPath = "/denied";
        options.SlidingExpiration = true;
        options.ExpireTimeSpan = TimeSpan.FromHours(8);
        Security.ConsoleCookies.RefuseScriptsWithStatus(options);
    }

    public static IEndpointRouteBuilder MapExternalSignIn(this IEndpointRouteBuilder endpoints)
    {
        // Takes /signin from the local sign-in page, which has nothing to offer when a provider signs people in.
        endpoints.MapGet(LocalSignIn.SignInPath, (string? returnUrl) => Results.Challenge(
                new AuthenticationProperties { // The framework's check, which also refuses control characters a browser would drop ("/\t/evil.example").
                RedirectUri = RedirectHttpResult.IsLocalUrl(returnUrl) ? returnUrl : "/" },
                [OpenIdConnectDefaults.AuthenticationScheme]))
            .AllowAnonymous()
            .WithOrder(-1);

        endpoints.MapPost(LocalSignIn.SignOutEndpoint, async (HttpContext context) =>
        {
            var properties = new AuthenticationProperties { RedirectUri = SignedOutPath };
            if (await ProviderEndsSessionsAsync(context))
            {
                return Results.SignOut(properties, [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]);
            }

            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(SignedOutPath);
        }).AllowAnonymous().AsConsoleFormPost();

        return endpoints;
    }

    /// <summary>
    /// The OpenID Connect handler refuses to sign out when the provider's metadata has no end_session_endpoint,
    /// so ask first; such a provider only loses the console's cookie.
    /// </summary>
    private static async Task<bool> ProviderEndsSessionsAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OpenIdConnectDefaults.AuthenticationScheme);
        if (options.ConfigurationManager is null)
        {
            return false;
        }

        try
        {
            var configuration = await options.ConfigurationManager.GetConfigurationAsync(context.RequestAborted);
            return !string.IsNullOrEmpty(configuration.EndSessionEndpoint);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            Logger(context).LogWarning("Signing out of the console only: the identity provider's metadata could not be read ({Reason}).", e.Message);
            return false;
        }
    }

    internal static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("KmsConsole.Web.SignIn");
}

/// <summary>
/// The console's steps in an OpenID Connect sign-in, after whatever the handler's own events (Microsoft.Identity.Web's)
/// do: the provider's principal becomes the console's identity, the id token is kept only as the hint for sign-out,
/// and a failed sign-in shows a page instead of an exception.
/// </summary>
internal sealed class ConsoleSignInEvents(OpenIdConnectEvents inner, Func<ClaimsPrincipal, ClaimsPrincipal> toConsoleIdentity) : OpenIdConnectEvents
{
    public override async Task TokenValidated(TokenValidatedContext context)
    {
        await inner.TokenValidated(context);
        var idToken = context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage?.IdToken;
        if (idToken is not null && context.Properties is not null)
        {
            // The handler sends it as id_token_hint on sign-out; nothing else of the provider's tokens is kept.
            context.Properties.StoreTokens([new AuthenticationToken { Name = OpenIdConnectParameterNames.IdToken, Value = idToken }]);
        }
    }

    public override async Task TicketReceived(TicketReceivedContext context)
    {
        await inner.TicketReceived(context);
        if (context.Principal is not null && context.Result is null)
        {
            var console = toConsoleIdentity(context.Principal);
            context.Principal = console;
            ExternalSignIn.Logger(context.HttpContext).LogInformation("{User} signed in as {UserId} with console roles [{Roles}].",
                console.Identity?.Name, console.FindFirstValue(ClaimTypes.NameIdentifier), string.Join(", ", console.FindAll(ClaimTypes.Role).Select(c => c.Value)));
        }
    }

    public override async Task RemoteFailure(RemoteFailureContext context)
    {
        await inner.RemoteFailure(context);
        if (context.Result is null)
        {
            ExternalSignIn.Logger(context.HttpContext).LogWarning("Sign-in through the identity provider failed: {Reason}", context.Failure?.Message);
            context.Response.Redirect($"{ExternalSignIn.SignedOutPath}?error={ExternalSignIn.SignInFailed}");
            context.HandleResponse();
        }
    }

    public override Task AccessDenied(AccessDeniedContext context) => inner.AccessDenied(context);

    public override Task AuthenticationFailed(AuthenticationFailedContext context) => inner.AuthenticationFailed(context);

    public override Task AuthorizationCodeReceived(AuthorizationCodeReceivedContext context) => inner.AuthorizationCodeReceived(context);

    public override Task MessageReceived(MessageReceivedContext context) => inner.MessageReceived(context);

    public override Task PushAuthorization(PushedAuthorizationContext context) => inner.PushAuthorization(context);

    public override Task RedirectToIdentityProvider(RedirectContext context) => inner.RedirectToIdentityProvider(context);

    public override Task RedirectToIdentityProviderForSignOut(RedirectContext context) => inner.RedirectToIdentityProviderForSignOut(context);

    public override Task RemoteSignOut(RemoteSignOutContext context) => inner.RemoteSignOut(context);

    public override Task SignedOutCallbackRedirect(RemoteSignOutContext context) => inner.SignedOutCallbackRedirect(context);

    public override Task TokenResponseReceived(TokenResponseReceivedContext context) => inner.TokenResponseReceived(context);

    public override Task UserInformationReceived(UserInformationReceivedContext context) => inner.UserInformationReceived(context);
}
