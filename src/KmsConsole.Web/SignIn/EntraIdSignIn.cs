using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace KmsConsole.Web.SignIn;

/// <summary>The <c>AzureAd</c> section: sign-in with Microsoft Entra ID, app roles in the token's <c>roles</c> claim.</summary>
public sealed record EntraIdSignInSettings(
    Uri Instance,
    string TenantId,
    string ClientId,
    string ClientSecret,
    IReadOnlyList<string> Scopes,
    string CallbackPath,
    string SignedOutCallbackPath,
    ConsoleRoleMapping RoleMapping)
{
    public const string PublicCloud = "https://login.microsoftonline.com/";

    public static EntraIdSignInSettings Read(IConfigurationSection section)
    {
        var instance = SignInSetting.Optional(section, "Instance") ?? PublicCloud;
        return new EntraIdSignInSettings(
            SignInSetting.HttpsOrLoopback(section, "Instance", instance),
            SignInSetting.Required(section, "TenantId", "set it to the directory (tenant) id of the console's app registration."),
            SignInSetting.Required(section, "ClientId", "set it to the application (client) id of the console's app registration."),
            SignInSetting.Required(section, "ClientSecret",
                "the console redeems the sign-in code with a client secret of its app registration; pass it as the environment variable AzureAd__ClientSecret or from a secret store."),
            SignInSetting.List(section, "Scopes"),
            SignInSetting.Path(section, "CallbackPath", "/signin-oidc"),
            SignInSetting.Path(section, "SignedOutCallbackPath", "/signout-callback-oidc"),
            ConsoleRoleMapping.From(section));
    }

    /// <summary>What the startup log says about it: never the secret.</summary>
    public override string ToString() => $"Entra ID tenant {TenantId} at {Instance} as client {ClientId}, app roles from the 'roles' claim";
}

public static class EntraIdSignIn
{
    /// <summary>Microsoft.Identity.Web's web app sign-in (cookie + OpenID Connect), with the code flow and PKCE.</summary>
    public static void AddEntraIdSignIn(this IServiceCollection services, EntraIdSignInSettings settings, IConfigurationSection section)
    {
        services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddMicrosoftIdentityWebApp(
                options =>
                {
                    // Microsoft.Identity.Web's own settings (Domain, ClientCapabilities, ...) still apply.
                    section.Bind(options);
                    options.Instance = settings.Instance.ToString();
                    options.TenantId = settings.TenantId;
                    options.ClientId = settings.ClientId;
                    options.ClientSecret = settings.ClientSecret;
                    options.CallbackPath = settings.CallbackPath;
                    options.SignedOutCallbackPath = settings.SignedOutCallbackPath;
                },
                ExternalSignIn.ConfigureCookie,
                OpenIdConnectDefaults.AuthenticationScheme,
                CookieAuthenticationDefaults.AuthenticationScheme);

        // Registered after Microsoft.Identity.Web's configuration of the handler so it has the last word: its merge of
        // options keeps https metadata on whatever is asked (a loopback test instance needs it off) and its default is
        // the implicit id_token response.
        services.Configure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme, options =>
        {
            options.RequireHttpsMetadata = settings.Instance.Scheme == Uri.UriSchemeHttps;
            options.ResponseType = OpenIdConnectResponseType.Code;
            options.UsePkce = true;
            foreach (var scope in settings.Scopes.Where(s => !options.Scope.Contains(s)))
            {
                options.Scope.Add(scope);
            }

            options.MapInboundClaims = false;
            options.SaveTokens = false;
            options.Events = new ConsoleSignInEvents(options.Events, token => ExternalIdentity.ForEntraId(token, settings.RoleMapping));
        });
    }
}
