using Microsoft.AspNetCore.Authorization;

namespace KmsConsole.Web.SignIn;

/// <summary>
/// Authorization policies of the console's pages and endpoints. They decide what a user is shown;
/// the Rotation services check the same roles again on every action. As there (Actor.IsIn), Admin holds
/// every role; no role lets anyone decide a run they requested.
/// </summary>
public static class ConsolePolicies
{
    public const string View = "View";
    public const string Request = "Request";
    public const string Approve = "Approve";
    public const string Audit = "Audit";
    public const string Administer = "Administer";

    public static AuthorizationBuilder AddConsolePolicies(this AuthorizationBuilder builder) => builder
        .AddPolicy(View, p => p.RequireAuthenticatedUser().RequireRole(Roles.Viewer, Roles.Requester, Roles.Approver, Roles.Auditor, Roles.Admin))
        .AddPolicy(Request, p => p.RequireAuthenticatedUser().RequireRole(Roles.Requester, Roles.Admin))
        .AddPolicy(Approve, p => p.RequireAuthenticatedUser().RequireRole(Roles.Approver, Roles.Admin))
        .AddPolicy(Audit, p => p.RequireAuthenticatedUser().RequireRole(Roles.Auditor, Roles.Admin))
        .AddPolicy(Administer, p => p.RequireAuthenticatedUser().RequireRole(Roles.Admin));
}
