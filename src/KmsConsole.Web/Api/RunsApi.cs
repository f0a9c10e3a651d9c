using KmsConsole.Rotation.Automation;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KmsConsole.Web.Api;

/// <summary>
/// <c>/api/v1/runs</c>: request a rotation, follow it, decide it. The Rotation services check every role and rule (a
/// requester never decides their own run, whichever token they use), exactly as for the pages.
/// </summary>
public static class RunsApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapRunsApi(this RouteGroupBuilder api)
    {
        var runs = api.MapGroup("/runs").WithTags("Runs");

        runs.MapPost("/", RequestAsync)
            .RequireAuthorization(ApiPolicies.Request)
            .WithName("RequestRun")
            .WithSummary("Requests a rotation")
            .WithDescription("Answers 201 with the run, its planned steps and permission check. Send an Idempotency-Key header so a retried " +
                             "request answers with the run the first made (200) instead of requesting a second.");

        runs.MapGet("/", async (RunQueries queries, RunState? state, WorkflowKind? workflow, string? key, string? target, string? requestedBy,
                int? page, int? pageSize, CancellationToken cancellationToken) =>
                TypedResults.Ok(await queries.ListAsync(new RunFilter { State = state, Workflow = workflow, Key = key, Target = target, RequestedBy = requestedBy },
                    page ?? 0, pageSize ?? 25, cancellationToken)))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ListRuns")
            .WithSummary("Lists runs, newest first");

        runs.MapGet("/{id:guid}", async Task<Results<Ok<RunResponse>, ProblemHttpResult>> (RunQueries queries, Guid id, CancellationToken cancellationToken) =>
                await queries.GetAsync(id, cancellationToken) is { } run
                    ? TypedResults.Ok(RunResponse.From(run))
                    : TypedResults.Problem(ApiProblems.Problem(StatusCodes.Status404NotFound, $"There is no run {id}.")))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("GetRun")
            .WithSummary("One run with its steps, gates and decisions");

        runs.MapPost("/{id:guid}/approve", async (RotationRequests requests, RunQueries queries, HttpContext http, Guid id, [FromBody] DecisionBody? body,
                CancellationToken cancellationToken) =>
            {
                await requests.ApproveAsync(ConsoleActor.From(http.User), id, body?.Comment, cancellationToken);
                return await CurrentAsync(queries, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("ApproveRun")
            .WithSummary("Approves the gate the run waits at (never the requester's own run)");

        runs.MapPost("/{id:guid}/reject", async (RotationRequests requests, RunQueries queries, HttpContext http, Guid id, DecisionBody body,
                CancellationToken cancellationToken) =>
            {
                await requests.RejectAsync(ConsoleActor.From(http.User), id, body.Comment ?? "", cancellationToken);
                return await CurrentAsync(queries, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("RejectRun")
            .WithSummary("Rejects the run at its gate; the comment (the reason) is required");

        runs.MapPost("/{id:guid}/cancel", async (RotationRequests requests, HttpContext http, Guid id, ReasonBody body, CancellationToken cancellationToken) =>
                TypedResults.Ok(new RunStateResponse(id, await requests.CancelAsync(ConsoleActor.From(http.User), id, body.Reason ?? "", cancellationToken))))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("CancelRun")
            .WithSummary("Cancels the run: at once while it waits, or before its next step while it runs (its requester or an approver)");

        runs.MapPost("/{id:guid}/resume", async (RotationRequests requests, HttpContext http, Guid id, ReasonBody body, CancellationToken cancellationToken) =>
                TypedResults.Ok(new RunStateResponse(id, await requests.ResumeAsync(ConsoleActor.From(http.User), id, body.Reason ?? "", cancellationToken))))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ResumeRun")
            .WithSummary("Resumes a failed run at its failed step (its requester or an approver)");

        runs.MapPost("/{id:guid}/rollback", async (RotationRequests requests, HttpContext http, Guid id, RollBackBody body, CancellationToken cancellationToken) =>
            {
                var rollBack = await requests.RequestRollBackAsync(ConsoleActor.From(http.User), id, body.Justification ?? "", cancellationToken);
                return TypedResults.Created($"/api/v1/runs/{rollBack.Id}", RunResponse.From(rollBack));
            })
            .RequireAuthorization(ApiPolicies.Request)
            .WithName("RollBackRun")
            .WithSummary("Requests a roll back of an alias swap: a new run, with its own gate");

        return api;
    }

    private static async Task<Results<Created<RunResponse>, Ok<RunResponse>>> RequestAsync(RotationRequests requests, IdempotentRunRequests once,
        RunQueries queries, HttpContext http, RunRequestBody body, CancellationToken cancellationToken)
    {
        var requester = ConsoleActor.From(http.User);
        if (string.IsNullOrWhiteSpace(body.Target))
        {
            throw new RotationRefusedException("Name the target the key is in.", kind: RefusalKind.Invalid) { Field = "target" };
        }

        if (string.IsNullOrWhiteSpace(body.KeyId))
        {
            throw new RotationRefusedException("Name the key: its id, ARN or alias.", kind: RefusalKind.Invalid) { Field = "keyId" };
        }

        var request = new RotationRequest(body.Target.Trim(), body.KeyId.Trim(), body.Workflow, body.Parameters ?? new RotationParameters(), body.Justification ?? "");
        Guid runId;
        var created = true;
        if (http.Request.Headers[IdempotencyKeyHeader].ToString() is { Length: > 0 } key)
        {
            var submission = await once.SubmitAsync(requester, request, key, cancellationToken);
            (runId, created) = (submission.RunId, submission.Created);
        }
        else
        {
            runId = (await requests.SubmitAsync(requester, request, cancellationToken)).Id;
        }

        var run = RunResponse.From((await queries.GetAsync(runId, cancellationToken))!);
        return created ? TypedResults.Created($"/api/v1/runs/{runId}", run) : TypedResults.Ok(run);
    }

    private static async Task<Ok<RunResponse>> CurrentAsync(RunQueries queries, Guid id, CancellationToken cancellationToken) =>
        TypedResults.Ok(RunResponse.From((await queries.GetAsync(id, cancellationToken))!));
}
