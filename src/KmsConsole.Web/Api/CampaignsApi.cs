using KmsConsole.Rotation.Governance;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KmsConsole.Web.Api;

/// <summary>
/// <c>/api/v1/campaigns</c>: one workflow over many keys, requested, released by one approval (the workflow's M-of-N,
/// never the requester), paused, resumed, cancelled and followed. <see cref="Campaigns"/> checks every role and rule.
/// </summary>
public static class CampaignsApi
{
    public static RouteGroupBuilder MapCampaignsApi(this RouteGroupBuilder api)
    {
        var campaigns = api.MapGroup("/campaigns").WithTags("Campaigns");

        campaigns.MapGet("/", async (Campaigns all, CampaignState? state, Guid? policyId, CancellationToken cancellationToken) =>
                TypedResults.Ok((await all.ListAsync(cancellationToken))
                    .Where(c => (state is null || c.State == state) && (policyId is null || c.PolicyId == policyId))
                    .Select(c => new CampaignProgressResponse(c.Id, c.State, CampaignProgress.Of(c))).ToList()))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ListCampaigns")
            .WithSummary("The latest 100 campaigns, newest first, with their progress; state and policyId filter");

        campaigns.MapGet("/{id:guid}", async Task<Results<Ok<CampaignResponse>, ProblemHttpResult>> (Campaigns all, Guid id, CancellationToken cancellationToken) =>
                await all.GetAsync(id, cancellationToken) is { } campaign
                    ? TypedResults.Ok(CampaignResponse.From(campaign))
                    : TypedResults.Problem(ApiProblems.Problem(StatusCodes.Status404NotFound, $"There is no campaign {id}.")))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("GetCampaign")
            .WithSummary("One campaign: its keys with their frozen plans and runs, the decisions on it, and its progress");

        campaigns.MapGet("/{id:guid}/progress", async Task<Results<Ok<CampaignProgressResponse>, ProblemHttpResult>> (Campaigns all, Guid id,
                CancellationToken cancellationToken) =>
                await all.GetAsync(id, cancellationToken) is { } campaign
                    ? TypedResults.Ok(new CampaignProgressResponse(campaign.Id, campaign.State, CampaignProgress.Of(campaign)))
                    : TypedResults.Problem(ApiProblems.Problem(StatusCodes.Status404NotFound, $"There is no campaign {id}.")))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("GetCampaignProgress")
            .WithSummary("A campaign's state and counts (done, running, failed, waiting, other), for callers that poll");

        campaigns.MapPost("/", async (Campaigns all, HttpContext http, CampaignRequestBody body, CancellationToken cancellationToken) =>
            {
                var request = new CampaignRequest(PoliciesApi.Required(body.Target, "target", "Name the target the keys are in."),
                    body.Keys ?? throw RotationRefusedException.Missing("Name the keys of the campaign: ids, ARNs or alias names.", "keys"),
                    body.Workflow, body.Parameters ?? new RotationParameters(), body.Justification ?? "", body.Concurrency ?? 5, body.PolicyId);
                return await CreatedAsync(all, await all.RequestAsync(ConsoleActor.From(http.User), request, cancellationToken), cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Request)
            .WithName("RequestCampaign")
            .WithSummary("Requests a campaign: one workflow with its parameters over keys of one target, each key's plan frozen now")
            .WithDescription("Answers 201 with the campaign waiting for approval; keys the preflight refuses are skipped with the reason as their plan.");

        campaigns.MapPost("/for-policy", async (Campaigns all, HttpContext http, PolicyCampaignBody body, CancellationToken cancellationToken) =>
                await CreatedAsync(all, await all.RequestForPolicyAsync(ConsoleActor.From(http.User), body.PolicyId, body.Justification ?? "",
                    body.Concurrency ?? 5, cancellationToken), cancellationToken))
            .RequireAuthorization(ApiPolicies.Request)
            .WithName("RequestPolicyCampaign")
            .WithSummary("Requests a campaign over a policy's non-compliant keys that its remedy fixes, with the rule's remedy parameters");

        campaigns.MapPost("/{id:guid}/approve", async (Campaigns all, HttpContext http, Guid id, [FromBody] DecisionBody? body, CancellationToken cancellationToken) =>
            {
                await all.ApproveAsync(ConsoleActor.From(http.User), id, body?.Comment, cancellationToken);
                return await CurrentAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("ApproveCampaign")
            .WithSummary("Approves the campaign (never its requester); with the workflow's M-of-N it is released")
            .WithDescription("409 when the campaign no longer waits for a decision.");

        campaigns.MapPost("/{id:guid}/reject", async (Campaigns all, HttpContext http, Guid id, DecisionBody body, CancellationToken cancellationToken) =>
            {
                await all.RejectAsync(ConsoleActor.From(http.User), id, body.Comment ?? "", cancellationToken);
                return await CurrentAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("RejectCampaign")
            .WithSummary("Rejects the campaign; the comment (the reason) is required");

        campaigns.MapPost("/{id:guid}/fate/approve", async (Campaigns all, HttpContext http, Guid id, [FromBody] DecisionBody? body,
                CancellationToken cancellationToken) =>
            {
                await all.ApproveFateAsync(ConsoleActor.From(http.User), id, body?.Comment, cancellationToken);
                return await CurrentAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("ApproveCampaignFate")
            .WithSummary("Approves the gate before the old keys' fate once for the whole campaign (never its requester)")
            .WithDescription("Each key's run then passes its own fate gate with this decision, unless a high hazard of that key stops it there " +
                             "until an approver acknowledges it on the run's page. 409 when the fate is decided already.");

        campaigns.MapPost("/{id:guid}/fate/reject", async (Campaigns all, HttpContext http, Guid id, DecisionBody body, CancellationToken cancellationToken) =>
            {
                await all.RejectFateAsync(ConsoleActor.From(http.User), id, body.Comment ?? "", cancellationToken);
                return await CurrentAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("RejectCampaignFate")
            .WithSummary("Rejects the old keys' fate for the whole campaign: each key's run is rejected at its fate gate; the comment is required");

        campaigns.MapPost("/{id:guid}/deletion/approve", async (Campaigns all, HttpContext http, Guid id, [FromBody] DecisionBody? body,
                CancellationToken cancellationToken) =>
            {
                await all.ApproveGateAsync(ConsoleActor.From(http.User), id, CampaignGate.Deletion, body?.Comment, cancellationToken);
                return await CurrentAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("ApproveCampaignDeletion")
            .WithSummary("Approves a staged retirement's gate before the old keys' deletion once for the whole campaign (never its requester)")
            .WithDescription("Decided once the first key's watch is over; each key's run passes its own deletion gate with this decision when its watch " +
                             "finds its old key disabled and unused (a key used during its watch fails its run, and its deletion is never scheduled). " +
                             "422 when the campaign has no staged retirement; 409 when no key's watch is over yet or the deletion is decided already.");

        campaigns.MapPost("/{id:guid}/deletion/reject", async (Campaigns all, HttpContext http, Guid id, DecisionBody body, CancellationToken cancellationToken) =>
            {
                await all.RejectGateAsync(ConsoleActor.From(http.User), id, CampaignGate.Deletion, body.Comment ?? "", cancellationToken);
                return await CurrentAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("RejectCampaignDeletion")
            .WithSummary("Rejects the old keys' deletion for the whole campaign: each key's run is rejected at its deletion gate and its old key stays disabled; the comment is required");

        campaigns.MapPost("/{id:guid}/pause", async (Campaigns all, HttpContext http, Guid id, CancellationToken cancellationToken) =>
            {
                await all.PauseAsync(ConsoleActor.From(http.User), id, cancellationToken);
                return await ProgressAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.View)
            .WithName("PauseCampaign")
            .WithSummary("No new key starts; runs already started go on (its requester or an approver)");

        campaigns.MapPost("/{id:guid}/resume", async (Campaigns all, HttpContext http, Guid id, CancellationToken cancellationToken) =>
            {
                await all.ResumeAsync(ConsoleActor.From(http.User), id, cancellationToken);
                return await ProgressAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ResumeCampaign")
            .WithSummary("Resumes a paused campaign (its requester or an approver)");

        campaigns.MapPost("/{id:guid}/cancel", async (Campaigns all, HttpContext http, Guid id, CancellationToken cancellationToken) =>
            {
                await all.CancelAsync(ConsoleActor.From(http.User), id, cancellationToken);
                return await ProgressAsync(all, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.View)
            .WithName("CancelCampaign")
            .WithSummary("Keys not started never start; runs already started go on to their end (its requester or an approver)");

        campaigns.MapPost("/{id:guid}/retry-failed", async (Campaigns all, HttpContext http, Guid id, JustificationBody body, CancellationToken cancellationToken) =>
                await CreatedAsync(all, await all.RetryFailedAsync(ConsoleActor.From(http.User), id, body.Justification ?? "", cancellationToken), cancellationToken))
            .RequireAuthorization(ApiPolicies.Request)
            .WithName("RetryFailedCampaignKeys")
            .WithSummary("A follow-up campaign over the keys whose runs failed, waiting for approval again");

        return api;
    }

    /// <summary>The campaign as it was saved, read back with its fate gate.</summary>
    private static async Task<Created<CampaignResponse>> CreatedAsync(Campaigns all, Campaign campaign, CancellationToken cancellationToken) =>
        TypedResults.Created($"/api/v1/campaigns/{campaign.Id}", CampaignResponse.From(await all.GetAsync(campaign.Id, cancellationToken) ?? campaign));

    private static async Task<Ok<CampaignResponse>> CurrentAsync(Campaigns all, Guid id, CancellationToken cancellationToken) =>
        TypedResults.Ok(CampaignResponse.From((await all.GetAsync(id, cancellationToken))!));

    private static async Task<Ok<CampaignProgressResponse>> ProgressAsync(Campaigns all, Guid id, CancellationToken cancellationToken) =>
        TypedResults.Ok((await all.GetAsync(id, cancellationToken)) is { } c
            ? new CampaignProgressResponse(c.Id, c.State, CampaignProgress.Of(c))
            : throw new RotationRefusedException($"There is no campaign {id}.", kind: RefusalKind.NotFound));
}
