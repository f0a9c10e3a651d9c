using KmsConsole.Rotation.Governance;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KmsConsole.Web.Api;

/// <summary>
/// <c>/api/v1/policies</c>, <c>/api/v1/exemptions</c> and <c>/api/v1/compliance</c>: rotation policies proposed and
/// decided, exemptions requested and decided, compliance answers and the auditor's report. The Governance services check
/// every role and rule (an Admin proposes, someone else approves; never the requester), exactly as for the pages.
/// </summary>
public static class PoliciesApi
{
    public static RouteGroupBuilder MapPoliciesApi(this RouteGroupBuilder api)
    {
        MapPolicies(api.MapGroup("/policies").WithTags("Policies"));
        MapExemptions(api.MapGroup("/exemptions").WithTags("Exemptions"));
        MapCompliance(api.MapGroup("/compliance").WithTags("Compliance"));
        return api;
    }

    private static void MapPolicies(RouteGroupBuilder policies)
    {
        policies.MapGet("/", async (RotationPolicies all, PolicyState? state, string? q, CancellationToken cancellationToken) =>
                TypedResults.Ok((await all.ListAsync(cancellationToken))
                    .Where(p => state is null || p.State == state)
                    .Where(p => string.IsNullOrWhiteSpace(q) || p.Name.Contains(q.Trim(), StringComparison.OrdinalIgnoreCase))
                    .Select(PolicyResponse.From).ToList()))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ListPolicies")
            .WithSummary("Lists every version of every policy, newest version first within each")
            .WithDescription("state (Proposed, Active, Rejected, Superseded, Retired) and q (name contains) filter.");

        policies.MapGet("/{id:guid}", async Task<Results<Ok<List<PolicyResponse>>, ProblemHttpResult>> (RotationPolicies all, Guid id,
                CancellationToken cancellationToken) =>
            {
                var every = await all.ListAsync(cancellationToken);
                var policyId = every.FirstOrDefault(p => p.Id == id)?.PolicyId ?? id;
                var versions = every.Where(p => p.PolicyId == policyId).ToList();
                return versions.Count > 0
                    ? TypedResults.Ok(versions.Select(PolicyResponse.From).ToList())
                    : TypedResults.Problem(ApiProblems.Problem(StatusCodes.Status404NotFound, $"There is no policy {id}."));
            })
            .RequireAuthorization(ApiPolicies.View)
            .WithName("GetPolicy")
            .WithSummary("One policy's versions, newest first (by the policy's id or any version's id)");

        policies.MapPost("/", async (RotationPolicies all, HttpContext http, PolicyProposalBody body, CancellationToken cancellationToken) =>
            {
                var version = await all.ProposeAsync(ConsoleActor.From(http.User), ProposalOf(body), cancellationToken);
                return TypedResults.Created($"/api/v1/policies/{version.PolicyId}", PolicyResponse.From(version));
            })
            .RequireAuthorization(ApiPolicies.Administer)
            .WithName("ProposePolicy")
            .WithSummary("Proposes a new policy, or a new version of one (an Admin); it waits for someone else's approval")
            .WithDescription("Answers 201 with the proposed version. Every problem of the proposal is listed in the problem's reasons; field names the first.");

        policies.MapPost("/{policyId:guid}/retire", async (RotationPolicies all, HttpContext http, Guid policyId, JustificationBody body,
                CancellationToken cancellationToken) =>
            {
                var version = await all.ProposeRetirementAsync(ConsoleActor.From(http.User), policyId, Required(body.Justification, "justification",
                    "Give a justification: approvers and auditors read it."), cancellationToken);
                return TypedResults.Created($"/api/v1/policies/{version.PolicyId}", PolicyResponse.From(version));
            })
            .RequireAuthorization(ApiPolicies.Administer)
            .WithName("RetirePolicy")
            .WithSummary("Proposes to retire a policy (an Admin); once approved its answers are removed");

        policies.MapPost("/versions/{versionId:guid}/approve", async (RotationPolicies all, HttpContext http, Guid versionId, [FromBody] DecisionBody? body,
                CancellationToken cancellationToken) =>
            {
                await all.ApproveAsync(ConsoleActor.From(http.User), versionId, body?.Comment, cancellationToken);
                return await VersionAsync(all, versionId, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("ApprovePolicyVersion")
            .WithSummary("Approves a proposed version (never its proposer); with the remedy workflow's M-of-N it becomes the active one")
            .WithDescription("409 when the version no longer waits for a decision.");

        policies.MapPost("/versions/{versionId:guid}/reject", async (RotationPolicies all, HttpContext http, Guid versionId, DecisionBody body,
                CancellationToken cancellationToken) =>
            {
                await all.RejectAsync(ConsoleActor.From(http.User), versionId, body.Comment ?? "", cancellationToken);
                return await VersionAsync(all, versionId, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("RejectPolicyVersion")
            .WithSummary("Rejects a proposed version; the comment (the reason) is required");
    }

    private static void MapExemptions(RouteGroupBuilder exemptions)
    {
        exemptions.MapGet("/", async (PolicyExemptions all, TimeProvider time, Guid? policyId, ExemptionState? state, string? keyId,
                CancellationToken cancellationToken) =>
            {
                var now = time.GetUtcNow();
                return TypedResults.Ok((await all.ListAsync(cancellationToken))
                    .Where(e => (policyId is null || e.PolicyId == policyId) && (state is null || e.State == state) && (keyId is null || e.KeyId == keyId))
                    .Select(e => ExemptionResponse.From(e, now)).ToList());
            })
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ListExemptions")
            .WithSummary("Lists exemptions, newest first; policyId, state and keyId filter");

        exemptions.MapPost("/", async (PolicyExemptions all, TimeProvider time, HttpContext http, ExemptionRequestBody body,
                CancellationToken cancellationToken) =>
            {
                var request = new ExemptionRequest(body.PolicyId, Required(body.Target, "target", "Name the target the key is in."),
                    Required(body.KeyId, "keyId", "Name the key to exempt."), body.Reason ?? "",
                    body.ExpiresAt ?? throw RotationRefusedException.Missing("Give the date the exemption expires.", "expiresAt"));
                var exemption = await all.RequestAsync(ConsoleActor.From(http.User), request, cancellationToken);
                return TypedResults.Created($"/api/v1/exemptions/{exemption.Id}", ExemptionResponse.From(exemption, time.GetUtcNow()));
            })
            .RequireAuthorization(ApiPolicies.Request)
            .WithName("RequestExemption")
            .WithSummary("Requests an exemption of one key from one policy, with a reason and an expiry; it waits for someone else's approval");

        exemptions.MapPost("/{id:guid}/approve", async (PolicyExemptions all, TimeProvider time, HttpContext http, Guid id, [FromBody] DecisionBody? body,
                CancellationToken cancellationToken) =>
            {
                await all.ApproveAsync(ConsoleActor.From(http.User), id, body?.Comment, cancellationToken);
                return await ExemptionAsync(all, time, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("ApproveExemption")
            .WithSummary("Approves a requested exemption (never its requester); 409 when it no longer waits for a decision");

        exemptions.MapPost("/{id:guid}/reject", async (PolicyExemptions all, TimeProvider time, HttpContext http, Guid id, DecisionBody body,
                CancellationToken cancellationToken) =>
            {
                await all.RejectAsync(ConsoleActor.From(http.User), id, body.Comment ?? "", cancellationToken);
                return await ExemptionAsync(all, time, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Approve)
            .WithName("RejectExemption")
            .WithSummary("Rejects a requested exemption; the comment (the reason) is required");

        exemptions.MapPost("/{id:guid}/revoke", async (PolicyExemptions all, TimeProvider time, HttpContext http, Guid id, ReasonBody body,
                CancellationToken cancellationToken) =>
            {
                await all.RevokeAsync(ConsoleActor.From(http.User), id, body.Reason ?? "", cancellationToken);
                return await ExemptionAsync(all, time, id, cancellationToken);
            })
            .RequireAuthorization(ApiPolicies.Administer)
            .WithName("RevokeExemption")
            .WithSummary("Ends an approved exemption before its expiry (an Admin); the reason is required");
    }

    private static void MapCompliance(RouteGroupBuilder compliance)
    {
        compliance.MapGet("/", async (ComplianceReports reports, int? trendDays, CancellationToken cancellationToken) =>
                TypedResults.Ok(await reports.GetOverviewAsync(Bounded(trendDays ?? 90, 1, 3650, "trendDays"), cancellationToken)))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("GetComplianceOverview")
            .WithSummary("Each active policy's counts (compliant, non-compliant, exempt, not applicable, could not read) and the daily trend");

        compliance.MapGet("/answers", async (ComplianceReports reports, Guid? policyId, ComplianceStatus? status, string? target, string? q,
                int? dueWithinDays, int? page, int? pageSize, CancellationToken cancellationToken) =>
                TypedResults.Ok(await reports.QueryAsync(Query(policyId, status, target, q, dueWithinDays) with
                {
                    Page = Bounded(page ?? 0, 0, int.MaxValue, "page"),
                    PageSize = Bounded(pageSize ?? 25, 1, 500, "pageSize"),
                }, cancellationToken)))
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ListComplianceAnswers")
            .WithSummary("One answer per key × policy, soonest due first")
            .WithDescription("policyId, status, target, q (key id, ARN or alias contains) and dueWithinDays (overdue included) filter; page from 0, pageSize up to 500.");

        compliance.MapGet("/report", (ComplianceReports reports, HttpContext http, string? format, Guid? policyId, ComplianceStatus? status, string? target,
                string? q, int? dueWithinDays, CancellationToken cancellationToken) =>
            {
                var query = Query(policyId, status, target, q, dueWithinDays);
                var actor = ConsoleActor.From(http.User);
                var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
                return (format ?? "csv").ToLowerInvariant() switch
                {
                    "csv" => TypedResults.Stream(s => reports.ExportCsvAsync(actor, s, query, cancellationToken), "text/csv", $"compliance-{stamp}.csv"),
                    "json" => TypedResults.Stream(s => reports.ExportJsonAsync(actor, s, query, cancellationToken), "application/json", $"compliance-{stamp}.json"),
                    _ => throw new RotationRefusedException($"format is csv or json; '{format}' was asked.", kind: RefusalKind.Invalid) { Field = "format" },
                };
            })
            .RequireAuthorization(ApiPolicies.View)
            .WithName("ExportComplianceReport")
            .WithSummary("The auditor's report: one row per key × policy with the policy version and evaluation time, as CSV or JSON (audited)")
            .WithDescription("format is csv (the default) or json; the answers' filters apply.");

        compliance.MapPost("/evaluate", async (ComplianceReports reports, HttpContext http, CancellationToken cancellationToken) =>
            {
                await reports.EvaluateAsync(ConsoleActor.From(http.User), cancellationToken);
                return TypedResults.Ok(await reports.GetOverviewAsync(cancellationToken: cancellationToken));
            })
            .RequireAuthorization(ApiPolicies.Request)
            .WithName("EvaluateCompliance")
            .WithSummary("Evaluates every key under every active policy now (also done after each inventory sync)");
    }

    private static PolicyProposal ProposalOf(PolicyProposalBody body)
    {
        var scope = body.Scope ?? new PolicyScope();
        var rule = body.Rule ?? throw RotationRefusedException.Missing("Give the policy's rule: its kind, days and remedy.", "rule");
        return new PolicyProposal(body.Name ?? "", scope with
        {
            Targets = scope.Targets ?? [],
            Regions = scope.Regions ?? [],
            Origins = scope.Origins ?? [],
            KeySpecs = scope.KeySpecs ?? [],
            KeyManagers = scope.KeyManagers ?? [],
            Tags = scope.Tags ?? [],
            Exclusions = scope.Exclusions ?? [],
        }, rule with { RemedyParameters = rule.RemedyParameters ?? new RotationParameters() }, body.Justification ?? "", body.PolicyId, body.Schedule);
    }

    private static ComplianceQuery Query(Guid? policyId, ComplianceStatus? status, string? target, string? q, int? dueWithinDays) => new()
    {
        PolicyId = policyId,
        Status = status,
        Target = string.IsNullOrWhiteSpace(target) ? null : target.Trim(),
        Search = string.IsNullOrWhiteSpace(q) ? null : q.Trim(),
        DueWithinDays = dueWithinDays is { } days ? Bounded(days, -3650, 3650, "dueWithinDays") : null,
    };

    internal static int Bounded(int value, int min, int max, string field) => value >= min && value <= max
        ? value
        : throw new RotationRefusedException($"{field} is {min} to {max}; {value} was asked.", kind: RefusalKind.Invalid) { Field = field };

    internal static string Required(string? value, string field, string message) =>
        string.IsNullOrWhiteSpace(value) ? throw RotationRefusedException.Missing(message, field) : value.Trim();

    private static async Task<Ok<PolicyResponse>> VersionAsync(RotationPolicies all, Guid versionId, CancellationToken cancellationToken) =>
        TypedResults.Ok(PolicyResponse.From((await all.ListAsync(cancellationToken)).First(p => p.Id == versionId)));

    private static async Task<Ok<ExemptionResponse>> ExemptionAsync(PolicyExemptions all, TimeProvider time, Guid id, CancellationToken cancellationToken) =>
        TypedResults.Ok(ExemptionResponse.From((await all.ListAsync(cancellationToken)).First(e => e.Id == id), time.GetUtcNow()));
}
