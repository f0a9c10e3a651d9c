using System.ComponentModel;
using KmsConsole.Rotation.Governance;

namespace KmsConsole.Web.Api;

/// <summary>A new policy (no policyId) or a new version of one (policyId): the same fields as the Policies page.</summary>
public sealed record PolicyProposalBody(
    [property: Description("1 to 100 characters, unique among the active and proposed policies.")] string Name,
    [property: Description("Which keys the policy speaks of; every list left empty means any.")] PolicyScope? Scope,
    [property: Description("What the policy asks of each key, and the workflow that remedies a key breaking it.")] PolicyRule? Rule,
    [property: Description("Why; approvers and auditors read it.")] string Justification,
    [property: Description("The policy a new version is proposed for; empty for a new policy.")] Guid? PolicyId,
    [property: Description("When the policy opens campaigns by itself (a cron expression or a lead time); they still wait for approval.")] PolicySchedule? Schedule);

/// <summary>Why: a policy is retired, a campaign's failed keys are retried.</summary>
public sealed record JustificationBody(string Justification);

/// <summary>An exemption of one key from one policy, until a date.</summary>
public sealed record ExemptionRequestBody(
    Guid PolicyId,
    [property: Description("The Rotation target the key is in.")] string Target,
    [property: Description("The key id, as the inventory holds it.")] string KeyId,
    [property: Description("Why the key is exempt; approvers and auditors read it.")] string Reason,
    [property: Description("When the exemption stops counting: after now, at most 366 days ahead.")] DateTimeOffset? ExpiresAt);

/// <summary>A campaign: one workflow with its parameters over keys of one target.</summary>
public sealed record CampaignRequestBody(
    [property: Description("The Rotation target the keys are in.")] string Target,
    [property: Description("1 to 1000 key ids, ARNs or alias names.")] IReadOnlyList<string>? Keys,
    WorkflowKind Workflow,
    RotationParameters? Parameters,
    [property: Description("Why; approvers and auditors read it.")] string Justification,
    [property: Description("Per-key runs at once, 1 to 50 (5 when left out).")] int? Concurrency,
    [property: Description("The policy whose non-compliant keys the campaign remedies, if any.")] Guid? PolicyId);

/// <summary>A campaign over a policy's non-compliant keys that its remedy fixes.</summary>
public sealed record PolicyCampaignBody(Guid PolicyId, string Justification, int? Concurrency);

public sealed record SignOffResponse(string ApproverId, string ApproverName, ApprovalDecision Decision, string? Comment, DateTimeOffset DecidedAt,
    DateTimeOffset ExpiresAt)
{
    public static IReadOnlyList<SignOffResponse> From(IEnumerable<SignOff> signOffs) =>
        signOffs.OrderBy(s => s.DecidedAt).Select(s => new SignOffResponse(s.ApproverId, s.ApproverName, s.Decision, s.Comment, s.DecidedAt, s.ExpiresAt)).ToList();
}

/// <summary>One version of a policy, with the decisions on it.</summary>
public sealed record PolicyResponse(
    [property: Description("This version's id: approve or reject it by this id.")] Guid Id,
    [property: Description("The policy across its versions.")] Guid PolicyId,
    int Version,
    string Name,
    PolicyScope Scope,
    PolicyRule Rule,
    PolicySchedule? Schedule,
    PolicyState State,
    [property: Description("This version retires the policy once approved.")] bool Retires,
    string ProposedBy,
    string ProposedByName,
    DateTimeOffset ProposedAt,
    string Justification,
    string? DecidedByName,
    DateTimeOffset? DecidedAt,
    string? DecisionComment,
    IReadOnlyList<SignOffResponse> SignOffs)
{
    public static PolicyResponse From(RotationPolicy p) => new(p.Id, p.PolicyId, p.Version, p.Name, p.Scope, p.Rule, p.Schedule, p.State, p.Retires,
        p.ProposedBy, p.ProposedByName, p.ProposedAt, p.Justification, p.DecidedByName, p.DecidedAt, p.DecisionComment, SignOffResponse.From(p.SignOffs));
}

public sealed record ExemptionResponse(Guid Id, Guid PolicyId, string Target, string KeyId, string Reason, DateTimeOffset ExpiresAt, ExemptionState State,
    [property: Description("Approved and not expired: only then does the key count as exempt.")] bool Counts,
    string RequestedBy, string RequestedByName, DateTimeOffset RequestedAt, string? DecidedByName, DateTimeOffset? DecidedAt, string? DecisionComment,
    IReadOnlyList<SignOffResponse> SignOffs)
{
    public static ExemptionResponse From(PolicyExemption e, DateTimeOffset now) => new(e.Id, e.PolicyId, e.Target, e.KeyId, e.Reason, e.ExpiresAt, e.State,
        e.CountsAt(now), e.RequestedBy, e.RequestedByName, e.RequestedAt, e.DecidedByName, e.DecidedAt, e.DecisionComment, SignOffResponse.From(e.SignOffs));
}

public sealed record CampaignKeyResponse(int Index, string KeyId, string? Alias,
    [property: Description("The steps the run will take and the old key's fate, or why the key is skipped, as the approver read it.")] string Plan,
    CampaignKeyState State, Guid? RunId, string? Outcome);

/// <summary>A campaign: its frozen keys and plans, the decisions on it, and its progress.</summary>
public sealed record CampaignResponse(
    Guid Id,
    string Target,
    WorkflowKind Workflow,
    RotationParameters Parameters,
    string Justification,
    Guid? PolicyId,
    Guid? FollowUpOf,
    string RequestedBy,
    string RequestedByName,
    DateTimeOffset CreatedAt,
    CampaignState State,
    int Concurrency,
    string? DecidedByName,
    DateTimeOffset? DecidedAt,
    DateTimeOffset? FinishedAt,
    [property: Description("Keys done, running, failed, waiting, and other (skipped or cancelled).")] CampaignProgress Progress,
    IReadOnlyList<CampaignKeyResponse> Keys,
    IReadOnlyList<SignOffResponse> SignOffs,
    [property: Description("The gate before the old keys' fate, decided once for the campaign; null when the workflow keeps the old key.")] FateResponse? Fate,
    [property: Description("A staged retirement's gate before the old keys' deletion, decided once for the campaign; null without a staged retirement.")] FateResponse? Deletion,
    [property: Description("The console page of the campaign, where people decide and follow it.")] string Page)
{
    public static CampaignResponse From(Campaign c) => new(c.Id, c.Target, c.Workflow, c.Parameters, c.Justification, c.PolicyId, c.FollowUpOf, c.RequestedBy,
        c.RequestedByName, c.CreatedAt, c.State, c.Concurrency, c.DecidedByName, c.DecidedAt, c.FinishedAt, CampaignProgress.Of(c),
        c.Keys.OrderBy(k => k.Index).Select(k => new CampaignKeyResponse(k.Index, k.KeyId, k.Alias, k.Plan, k.State, k.RunId, k.Outcome)).ToList(),
        SignOffResponse.From(c.SignOffs),
        FateResponse.From(c.Fate),
        FateResponse.From(c.Deletion),
        $"/campaigns/{c.Id}");
}

/// <summary>A gate decided once for the campaign (the old keys' fate, or their deletion): the fate, its keys, the decision, and the keys' runs waiting at it.</summary>
public sealed record FateResponse(string GateName, OldKeyFate Fate, FateDecision Decision, int KeyCount, IReadOnlyList<string> Keys,
    [property: Description("Keys whose runs wait at the gate now (for the decision, or for a high hazard to be acknowledged on the run's page).")] int WaitingAtGate,
    IReadOnlyList<SignOffResponse> SignOffs)
{
    public static FateResponse? From(CampaignFate? f) =>
        f is null ? null : new FateResponse(f.GateName, f.Fate, f.Decision, f.Keys.Count, f.Keys, f.WaitingAtGate, SignOffResponse.From(f.SignOffs));
}

/// <summary>A campaign's state and progress, for callers that poll.</summary>
public sealed record CampaignProgressResponse(Guid Id, CampaignState State, CampaignProgress Progress);
