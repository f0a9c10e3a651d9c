using KmsConsole.Web.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;

namespace KmsConsole.Web.Api;

/// <summary>
/// The API's authorization policies: the pages' roles (<see cref="SignIn.ConsolePolicies"/>), authenticated only by a
/// personal access token or the identity provider's bearer token, never the browser's cookie, so a page on another
/// site cannot make a signed-in browser call the API, and a missing credential is a 401 problem, not a redirect.
/// </summary>
public static class ApiPolicies
{
    public const string View = "Api.View";
    public const string Request = "Api.Request";
    public const string Approve = "Api.Approve";
    public const string Audit = "Api.Audit";
    public const string Administer = "Api.Administer";

    /// <summary>The scheme of API callers: a personal access token by its prefix, any other bearer token to the identity provider's handler.</summary>
    public const string Scheme = "Api";

    public static AuthenticationBuilder AddApiScheme(this AuthenticationBuilder builder, bool bearerTokens) => builder
        .AddScheme<AuthenticationSchemeOptions, AccessTokenHandler>(AccessTokenHandler.SchemeName, null)
        .AddPolicyScheme(Scheme, "Personal access token or identity provider bearer token", options =>
            options.ForwardDefaultSelector = context =>
                bearerTokens && !Rotation.Automation.TokenSecret.LooksLikeOne(AccessTokenHandler.BearerOf(context.Request))
                    ? JwtBearerDefaults.AuthenticationScheme
                    : AccessTokenHandler.SchemeName);

    public static AuthorizationBuilder AddApiPolicies(this AuthorizationBuilder builder)
    {
        AuthorizationPolicy Policy(params string[] roles) =>
            new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().RequireRole(roles).Build();

        return builder
            .AddPolicy(View, Policy(Roles.Viewer, Roles.Requester, Roles.Approver, Roles.Auditor, Roles.Admin))
            .AddPolicy(Request, Policy(Roles.Requester, Roles.Admin))
            .AddPolicy(Approve, Policy(Roles.Approver, Roles.Admin))
            .AddPolicy(Audit, Policy(Roles.Auditor, Roles.Admin))
            .AddPolicy(Administer, Policy(Roles.Admin));
    }
}
