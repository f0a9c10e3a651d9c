using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace KmsConsole.Web.SignIn;

/// <summary>The <c>OpenIdConnect</c> section: sign-in through any OpenID Connect provider (Keycloak, Okta, Auth0, ...).</summary>
public sealed record OpenIdConnectSignInSettings(
    Uri Authority,
    string ClientId,
    string? ClientSecret,
    IReadOnlyList<string> Scopes,
    string RoleClaim,
    string CallbackPath,
    string SignedOutCallbackPath,
    bool GetClaimsFromUserInfoEndpoint,
    ConsoleRoleMapping RoleMapping)
{
    public static OpenIdConnectSignInSettings Read(IConfigurationSection section)
    {
        var authority = SignInSetting.Required(section, "Authority", "set it to the provider's issuer address, whose /.well-known/openid-configuration the console reads.");
        return new OpenIdConnectSignInSettings(
            SignInSetting.HttpsOrLoopback(section, "Authority", authority),
            SignInSetting.Required(section, "ClientId", "set it to the client id the provider registered for the console."),
            SignInSetting.Optional(section, "ClientSecret"),
            SignInSetting.List(section, "Scopes"),
            SignInSetting.Optional(section, "RoleClaim") ?? "roles",
            SignInSetting.Path(section, "CallbackPath", "/signin-oidc"),
            SignInSetting.Path(section, "SignedOutCallbackPath", "/signout-callback-oidc"),
            SignInSetting.Flag(section, "GetClaimsFromUserInfoEndpoint", fallback: false),
            ConsoleRoleMapping.From(section));
    }

    /// <summary>What the startup log says about it: never the secret.</summary>
    public override string ToString() =>
        $"OpenID Connect provider {Authority} as client {ClientId}, roles from the '{RoleClaim}' claim";
}

public static class OpenIdConnectSignIn
{
    /// <summary>Cookie + OpenID Connect with the authorization code flow and PKCE.</summary>
    public static void AddOpenIdConnectSignIn(this IServiceCollection services, OpenIdConnectSignInSettings settings)
    {
        services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, ExternalSignIn.ConfigureCookie)
            .AddOpenIdConnect(OpenIdConnectDefaults.AuthenticationScheme, options =>
            {
                options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.Authority = settings.Authority.ToString();
                options.RequireHttpsMetadata = settings.Authority.Scheme == Uri.UriSchemeHttps;
                options.ClientId = settings.ClientId;
                options.ClientSecret = settings.ClientSecret;
                options.ResponseType = OpenIdConnectResponseType.Code;
                options.UsePkce = true;
                options.Scope.Clear();
                foreach (var scope in new[] { "openid", "profile" }.Concat(settings.Scopes).Distinct(StringComparer.Ordinal))
                {
                    options.Scope.Add(scope);
                }

                options.CallbackPath = settings.CallbackPath;
                options.SignedOutCallbackPath = settings.SignedOutCallbackPath;
                options.MapInboundClaims = false;
                options.GetClaimsFromUserInfoEndpoint = settings.GetClaimsFromUserInfoEndpoint;
                if (settings.GetClaimsFromUserInfoEndpoint)
                {
                    options.ClaimActions.MapJsonKey(settings.RoleClaim, settings.RoleClaim);
                }

                options.SaveTokens = false;
                options.TokenValidationParameters.NameClaimType = "name";
                options.TokenValidationParameters.RoleClaimType = settings.RoleClaim;
                options.Events = new ConsoleSignInEvents(options.Events,
                    token => ExternalIdentity.ForOpenIdConnect(token, settings.RoleClaim, settings.RoleMapping));
            });
    }
}
