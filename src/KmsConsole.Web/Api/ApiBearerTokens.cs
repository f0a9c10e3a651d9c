using KmsConsole.Web.SignIn;
using KmsConsole.Web.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace KmsConsole.Web.Api;

/// <summary>
/// Bearer tokens of the identity provider the console signs people in with (Entra ID or OpenID Connect), for pipelines
/// with a service principal: validated against the provider's signing keys, for the audience in <c>Api:Audience</c>,
/// roles from the same claim and mapping as sign-in. Off unless <c>Api:Audience</c> is set.
/// </summary>
public static class ApiBearerTokens
{
    public const string AudienceSetting = "Api:Audience";

    public static bool AddFor(WebApplicationBuilder builder, SignInSettings signIn)
    {
        var audience = builder.Configuration[AudienceSetting];
        if (!signIn.IsExternal || string.IsNullOrWhiteSpace(audience))
        {
            return false;
        }

        string authority;
        Func<System.Security.Claims.ClaimsPrincipal, System.Security.Claims.ClaimsPrincipal> toConsole;
        if (signIn.Provider == SignInProvider.EntraId)
        {
            var entraId = EntraIdSignInSettings.Read(builder.Configuration.GetSection(SignInSettings.EntraIdSection));
            authority = new Uri(entraId.Instance, $"{entraId.TenantId}/v2.0").ToString();
            toConsole = token => ExternalIdentity.ForEntraId(token, entraId.RoleMapping);
        }
        else
        {
            var openIdConnect = OpenIdConnectSignInSettings.Read(builder.Configuration.GetSection(SignInSettings.OpenIdConnectSection));
            authority = openIdConnect.Authority.ToString();
            toConsole = token => ExternalIdentity.ForOpenIdConnect(token, openIdConnect.RoleClaim, openIdConnect.RoleMapping);
        }

        builder.Services.AddAuthentication().AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, options =>
        {
            options.Authority = authority;
            options.Audience = audience.Trim();
            options.RequireHttpsMetadata = authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            // Claims keep the provider's names (oid, tid, roles), which ExternalIdentity reads.
            options.MapInboundClaims = false;
            options.Events = new JwtBearerEvents
            {
                OnTokenValidated = async context =>
                {
                    // A pipeline's personal access token is not a JWT; only the provider's tokens come here.
                    try
                    {
                        context.Principal = toConsole(context.Principal!);
                    }
                    catch (InvalidOperationException unusable)
                    {
                        // A signed token the console cannot name anyone from (no subject): refused, never a 500.
                        context.Fail(unusable.Message);
                        return;
                    }

                    await context.HttpContext.RequestServices.GetRequiredService<ConsoleUserRecorder>()
                        .RecordAsync(context.Principal, context.HttpContext.RequestAborted);
                },
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await ApiProblems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized,
                        context.AuthenticateFailure is null
                            ? "Send a personal access token or an identity provider's bearer token: Authorization: Bearer <token>."
                            : "The bearer token was not accepted (signature, issuer, audience or expiry).");
                },
                OnForbidden = context => ApiProblems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Your roles do not allow this."),
            };
        });
        return true;
    }
}
