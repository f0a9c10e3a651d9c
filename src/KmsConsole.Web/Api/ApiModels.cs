using System.ComponentModel;

namespace KmsConsole.Web.Api;

/// <summary>A rotation request: the same fields as the Request rotation page.</summary>
/// <param name="Target">The Rotation target (account and Region) the key is in, e.g. <c>local</c>.</param>
/// <param name="KeyId">Key id, key ARN or alias name (e.g. <c>alias/FirstCMK</c>).</param>
/// <param name="Workflow">Which rotation to run.</param>
/// <param name="Parameters">The workflow's parameters; bounds as KMS sets them (period 90–2560 days, pending window 7–30 days).</param>
/// <param name="Justification">Why; approvers and auditors read it.</param>
public sealed record RunRequestBody(
    [property: Description("The Rotation target the key is in.")] string Target,
    [property: Description("Key id, key ARN or alias name.")] string KeyId,
    WorkflowKind Workflow,
    RotationParameters? Parameters,
    [property: Description("Why the rotation is asked for; approvers and auditors read it.")] string Justification);

/// <summary>An approval's optional comment, or a rejection's reason (required).</summary>
public sealed record DecisionBody([property: Description("Shown to the requester and in the audit trail.")] string? Comment);

/// <summary>Why a run is cancelled or resumed.</summary>
public sealed record ReasonBody([property: Description("Recorded with the run and in the audit trail.")] string Reason);

/// <summary>Why an alias swap is rolled back.</summary>
public sealed record RollBackBody(string Justification);

/// <summary>An optional chain head noted earlier (<c>sequence:hash</c>) proving nothing was cut from the trail's end.</summary>
public sealed record VerifyBody([property: Description("A head noted earlier, as sequence:hash.")] string? Anchor);

public sealed record StepResponse(int Index, string Name, StepKind Kind, StepState State, int Attempts, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, string? Output, string? AwsRequestId, string? ErrorCode, string? ErrorMessage);

public sealed record ApprovalResponse(int GateStepIndex, string ApproverId, string ApproverName, ApprovalDecision Decision, string? Comment,
    DateTimeOffset DecidedAt, DateTimeOffset ExpiresAt);

/// <summary>A run with its steps (the plan, as it goes) and the decisions at its gates.</summary>
public sealed record RunResponse(
    Guid Id,
    WorkflowKind Workflow,
    string Target,
    string KeyId,
    string? KeyArn,
    string? AliasName,
    string? NewKeyId,
    RunState State,
    string RequestedBy,
    string RequestedByName,
    string Justification,
    RotationParameters Parameters,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int CurrentStepIndex,
    string? Error,
    string? CancelRequestedBy,
    string? CancelReason,
    IReadOnlyList<StepResponse> Steps,
    IReadOnlyList<ApprovalResponse> Approvals,
    [property: Description("The console page of the run, where people decide and follow it.")] string Page)
{
    public static RunResponse From(Run run) => new(run.Id, run.Workflow, run.Target, run.KeyId, run.KeyArn, run.AliasName, run.NewKeyId, run.State,
        run.RequestedBy, run.RequestedByName, run.Justification, run.Parameters, run.CreatedAt, run.StartedAt, run.FinishedAt, run.CurrentStepIndex,
        run.Error, run.CancelRequestedBy, run.CancelReason,
        run.Steps.OrderBy(s => s.Index).Select(s => new StepResponse(s.Index, s.Name, s.Kind, s.State, s.Attempts, s.StartedAt, s.FinishedAt, s.Output,
            s.AwsRequestId, s.ErrorCode, s.ErrorMessage)).ToList(),
        run.Approvals.OrderBy(a => a.DecidedAt).Select(a => new ApprovalResponse(a.GateStepIndex, a.ApproverId, a.ApproverName, a.Decision, a.Comment,
            a.DecidedAt, a.ExpiresAt)).ToList(),
        $"/runs/{run.Id}");
}

/// <summary>What a cancel or resume did: the run's state after it (Running: it stops before its next step).</summary>
public sealed record RunStateResponse(Guid Id, RunState State);
