using KmsConsole.Web.SignIn;

namespace KmsConsole.Web.Api;

/// <summary><c>/api/v1/approvals</c>: the runs waiting for the caller's decision, as on the Approvals page.</summary>
public static class ApprovalsApi
{
    public static RouteGroupBuilder MapApprovalsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/approvals", async (RunQueries queries, HttpContext http, CancellationToken cancellationToken) =>
                TypedResults.Ok(await queries.AwaitingApprovalByAsync(ConsoleActor.From(http.User), cancellationToken)))
            .WithTags("Approvals")
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ListApprovals")
            .WithSummary("Runs waiting at a gate that the caller may decide (never their own)");
        return api;
    }
}
