namespace KmsConsole.Rotation;

/// <summary>One requested rotation of one key or alias, with its steps and approvals.</summary>
public sealed class Run
{
    public Guid Id { get; set; }
    public WorkflowKind Workflow { get; set; }
    public string Target { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string? KeyArn { get; set; }
    public string? AliasName { get; set; }
    public RotationParameters Parameters { get; set; } = new();
    public RunState State { get; set; }
    public string RequestedBy { get; set; } = "";
    public string RequestedByName { get; set; } = "";
    public string Justification { get; set; } = "";

    /// <summary>The campaign that started this run, whose approvers decide its gates once for all its keys; null for a run requested alone.</summary>
    public Guid? CampaignId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public int CurrentStepIndex { get; set; }
    public string? Error { get; set; }

    /// <summary>The key a run created (alias swaps), once known.</summary>
    public string? NewKeyId { get; set; }

    /// <summary>The executing principal's permissions as checked when the run was requested; null when the target does not check them.</summary>
    public Iam.RecordedPermissionCheck? PermissionCheck { get; set; }

    public List<RunStep> Steps { get; set; } = [];
    public List<Approval> Approvals { get; set; } = [];

    /// <summary>Values steps hand to later steps (new key id, sample ciphertext, counts); never secrets.</summary>
    public Dictionary<string, string> Values { get; set; } = [];

    // Lease: the orchestrator instance running the run, and until when its claim holds.
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }

    // One active run per key and per alias: unique indexes over these, cleared when the run ends.
    public string? ActiveKeyLock { get; set; }
    public string? ActiveAliasLock { get; set; }

    // A cancel asked for while a step runs: recorded at once, carried out by the orchestrator before the next step.
    public string? CancelRequestedBy { get; set; }
    public string? CancelRequestedByName { get; set; }
    public DateTimeOffset? CancelRequestedAt { get; set; }
    public string? CancelReason { get; set; }

    public Guid Version { get; set; }

    public bool IsFinished => State is RunState.Succeeded or RunState.Failed or RunState.Cancelled or RunState.Rejected or RunState.RolledBack;

    /// <summary>Ends the run: its state and error, and it lets go of its lease and of its key and alias locks.</summary>
    internal void End(RunState state, string? error, DateTimeOffset now)
    {
        State = state;
        Error = error;
        FinishedAt = now;
        LeaseOwner = null;
        LeaseUntil = null;
        ActiveKeyLock = null;
        ActiveAliasLock = null;
    }

    /// <summary>The actor requested the run (user ids compare without case, everywhere the services compare them).</summary>
    public bool IsRequestedBy(Actor actor) => string.Equals(actor.UserId, RequestedBy, StringComparison.OrdinalIgnoreCase);

    /// <summary>Its requester (as a Requester) or a holder of the workflow's approver role; who may cancel or resume it.</summary>
    public bool IsOwnedOrApprovableBy(Actor actor, string approverRole) => (IsRequestedBy(actor) && actor.IsIn(Roles.Requester)) || actor.IsIn(approverRole);

    /// <summary>
    /// The actor may decide its gate: a holder of the approver role who did not request it, while the run waits for a
    /// decision (<see cref="GateAwaitingDecision"/>; not while a step waits on its own) — checked again on use.
    /// </summary>
    public bool MayBeDecidedBy(Actor actor, string approverRole) => GateAwaitingDecision() is not null && actor.IsIn(approverRole) && !IsRequestedBy(actor);

    /// <summary>The run value marking an action step that waits on its own (for time to pass, as a staged retirement's watch does), not for a decision.</summary>
    internal const string StepWaitingValue = "StepWaitingOnItsOwn";

    /// <summary>An action step waits on its own between its checks (a staged retirement's watch): nothing is there to approve or reject.</summary>
    public bool IsStepWaitingOnItsOwn => State == RunState.AwaitingApproval && Values.ContainsKey(StepWaitingValue);

    /// <summary>Why the run cannot be cancelled now, whoever asks; null when it can (it has not passed its last gate).</summary>
    public string? CancelRefusal()
    {
        if (IsFinished)
        {
            return $"Run {Id} already ended ({State}).";
        }

        if (CancelRequestedAt is { } requestedAt)
        {
            return $"{CancelRequestedByName} already asked to cancel run {Id} at {requestedAt:yyyy-MM-dd HH:mm:ss} UTC; " +
                "it stops before its next step.";
        }

        var lastGate = Steps.Where(s => s.Kind == StepKind.Gate).Select(s => (int?)s.Index).Max();
        if (lastGate is null || CurrentStepIndex > lastGate)
        {
            return State == RunState.Running
                ? $"Run {Id} has passed its last approval gate; it finishes its remaining steps and can no longer be cancelled."
                : $"Run {Id} has passed its last approval gate; it can no longer be cancelled.";
        }

        return null;
    }

    /// <summary>Why the run cannot be resumed, whoever asks; null when it can (it failed at an action step).</summary>
    public string? ResumeRefusal()
    {
        if (State != RunState.Failed)
        {
            return State switch
            {
                RunState.Rejected => $"Run {Id} was rejected; a rejected run never resumes. Request a new run.",
                RunState.Cancelled => $"Run {Id} was cancelled; a cancelled run never resumes. Request a new run.",
                RunState.Succeeded or RunState.RolledBack => $"Run {Id} already ended ({State}); there is nothing to resume.",
                _ => $"Run {Id} is {State}; only a failed run can be resumed.",
            };
        }

        var step = Steps.SingleOrDefault(s => s.Index == CurrentStepIndex);
        if (step is null || step.State != StepState.Failed)
        {
            return $"Run {Id} has no failed step to continue from.";
        }

        return step.Kind == StepKind.Gate ? $"Run {Id} failed at its approval gate \"{step.Name}\"; request a new run." : null;
    }

    /// <summary>The step the run is at (or stopped at).</summary>
    public RunStep? CurrentStep => Steps.FirstOrDefault(s => s.Index == CurrentStepIndex);

    /// <summary>An approver rejected the gate it waits at: the waiting step fails and the run ends Rejected.</summary>
    internal void Reject(string approverName, string comment, DateTimeOffset now)
    {
        var waiting = Steps.Single(s => s.Index == CurrentStepIndex);
        waiting.State = StepState.Failed;
        waiting.FinishedAt = now;
        waiting.ErrorCode = "Rejected";
        waiting.ErrorMessage = $"Rejected by {approverName}: {comment}";
        End(RunState.Rejected, waiting.ErrorMessage, now);
    }

    /// <summary>The gate it waits for has its approvals: the waiting step runs next.</summary>
    internal void PassGate()
    {
        Values.Remove(StepWaitingValue);
        Steps.Single(s => s.Index == CurrentStepIndex).State = StepState.Pending;
        State = RunState.Queued;
    }

    /// <summary>A cancel asked for while a step runs: recorded now, carried out by the orchestrator before the next step.</summary>
    internal void RequestCancel(Actor actor, string reason, DateTimeOffset now)
    {
        CancelRequestedBy = actor.UserId;
        CancelRequestedByName = actor.DisplayName;
        CancelRequestedAt = now;
        CancelReason = reason;
    }

    /// <summary>Ends the run Cancelled with <paramref name="message"/>: its current and later steps are skipped.</summary>
    internal void Cancel(string message, DateTimeOffset now)
    {
        SkipRemainingSteps(clearFinishTimes: false);
        End(RunState.Cancelled, message, now);
    }

    /// <summary>The current and later steps will not run (the run is being cancelled).</summary>
    internal void SkipRemainingSteps(bool clearFinishTimes)
    {
        foreach (var step in Steps.Where(s => s.Index >= CurrentStepIndex))
        {
            step.State = StepState.Skipped;
            if (clearFinishTimes)
            {
                step.FinishedAt = null;
            }
        }
    }

    /// <summary>
    /// A failed run goes on at its failed step: queued, or waiting at that step for a fresh approval of the gate before
    /// it (<paramref name="reapproval"/> says why); it takes its key and alias locks back and any earlier cancel request is withdrawn.
    /// </summary>
    internal RunState Resume(string? reapproval, string keyLock, string? aliasLock)
    {
        var step = Steps.Single(s => s.Index == CurrentStepIndex);
        Values.Remove(StepWaitingValue);
        step.State = reapproval is null ? StepState.Pending : StepState.AwaitingApproval;
        step.FinishedAt = null;
        if (reapproval is not null)
        {
            step.Output = reapproval;
        }

        State = reapproval is null ? RunState.Queued : RunState.AwaitingApproval;
        Error = null;
        FinishedAt = null;
        LeaseOwner = null;
        LeaseUntil = null;
        CancelRequestedBy = null;
        CancelRequestedByName = null;
        CancelRequestedAt = null;
        CancelReason = null;
        ActiveKeyLock = keyLock;
        ActiveAliasLock = aliasLock;
        return State;
    }

    /// <summary>The orchestrator starts (or repeats) the step at <paramref name="index"/>.</summary>
    internal void StartStep(int index, DateTimeOffset now)
    {
        var record = Steps[index];
        State = RunState.Running;
        StartedAt ??= now;
        record.State = StepState.Running;
        record.StartedAt ??= now;
        record.FinishedAt = null;
        record.ErrorCode = null;
        record.ErrorMessage = null;
    }

    /// <summary>
    /// The step reached a gate without its approvals, or an action step waits on its own (marked, so nobody is asked to
    /// decide it): the run waits, and lets go of its lease.
    /// </summary>
    internal void WaitAtGate(int index, string reason)
    {
        var record = Steps[index];
        if (record.Kind == StepKind.Gate)
        {
            Values.Remove(StepWaitingValue);
        }
        else
        {
            Values[StepWaitingValue] = record.Name;
        }

        record.State = StepState.AwaitingApproval;
        record.Output = reason;
        State = RunState.AwaitingApproval;
        LeaseOwner = null;
        LeaseUntil = null;
    }

    /// <summary>The step's effect is in place: recorded, and the run moves to the next step.</summary>
    internal void StepSucceeded(int index, string? output, string? awsRequestId, DateTimeOffset now)
    {
        var record = Steps[index];
        record.State = StepState.Succeeded;
        record.FinishedAt = now;
        record.Output = output;
        record.AwsRequestId = awsRequestId ?? record.AwsRequestId;
        CurrentStepIndex = index + 1;
    }

    /// <summary>An attempt of the step failed with an error worth retrying: shown on the step while it retries.</summary>
    internal void StepRetrying(int index, string code, string message, string? awsRequestId)
    {
        var record = Steps[index];
        record.ErrorCode = code;
        record.ErrorMessage = message;
        record.AwsRequestId = awsRequestId ?? record.AwsRequestId;
    }

    /// <summary>The step failed for good; returns the run's error, naming the step, for the run's end.</summary>
    internal string StepFailed(int index, string code, string message, string? awsRequestId, DateTimeOffset now)
    {
        var record = Steps[index];
        record.State = StepState.Failed;
        record.FinishedAt = now;
        record.ErrorCode = code;
        record.ErrorMessage = message;
        record.AwsRequestId = awsRequestId ?? record.AwsRequestId;
        return $"{record.Name} failed: {code}: {message}";
    }

    /// <summary>A roll back of this run succeeded: its alias is back on the key it started from.</summary>
    internal void MarkRolledBack()
    {
        State = RunState.RolledBack;
        Version = Guid.NewGuid();
    }

    /// <summary>
    /// Why this run cannot be rolled back, whoever asks; null when it can: it ended, its workflow can be rolled back and
    /// its alias move succeeded — whether it then succeeded, failed, or was cancelled or rejected at the old key's fate.
    /// </summary>
    /// <param name="aliasMoved">The step of <paramref name="workflow"/> that moves the alias succeeded.</param>
    internal string? RollBackRefusal(Workflows.WorkflowDefinition workflow, bool aliasMoved)
    {
        if (!workflow.CanBeRolledBack || AliasName is null)
        {
            return "Only an alias swap can be rolled back.";
        }

        if (State == RunState.RolledBack)
        {
            return $"Run {Id} was already rolled back.";
        }

        if (!IsFinished)
        {
            return $"Run {Id} is {State}; cancel it or let it finish before rolling it back.";
        }

        return !aliasMoved || NewKeyId is null ? $"Run {Id} never moved {AliasName}; there is nothing to roll back." : null;
    }

    /// <summary>
    /// The gate whose approvals a run waiting for approval needs: the gate it is at, or, for a failed run resumed after
    /// the approval it had passed expired, the last gate before the step it resumes at. Null when it waits for nothing.
    /// </summary>
    public RunStep? GateAwaitingDecision()
    {
        if (State != RunState.AwaitingApproval || IsStepWaitingOnItsOwn || Steps.FirstOrDefault(s => s.Index == CurrentStepIndex) is not { } current)
        {
            return null;
        }

        return current.Kind == StepKind.Gate
            ? current
            : Steps.Where(s => s.Kind == StepKind.Gate && s.Index < current.Index).MaxBy(s => s.Index);
    }
}

public sealed class RunStep
{
    public Guid RunId { get; set; }
    public int Index { get; set; }
    public string Name { get; set; } = "";
    public StepKind Kind { get; set; }
    public StepState State { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Output { get; set; }
    public string? AwsRequestId { get; set; }
    public string? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
}

public sealed class Approval
{
    public long Id { get; set; }
    public Guid RunId { get; set; }
    public int GateStepIndex { get; set; }
    public string ApproverId { get; set; } = "";
    public string ApproverName { get; set; } = "";
    public ApprovalDecision Decision { get; set; }
    public string? Comment { get; set; }
    public DateTimeOffset DecidedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

public sealed record RunSummary(
    Guid Id,
    WorkflowKind Workflow,
    string Target,
    string KeyId,
    string? AliasName,
    RunState State,
    string RequestedBy,
    string RequestedByName,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    int CurrentStepIndex,
    string? Error);

public sealed record RunFilter
{
    public RunState? State { get; init; }
    public WorkflowKind? Workflow { get; init; }
    /// <summary>Key id, ARN or alias name (contains).</summary>
    public string? Key { get; init; }
    public string? Target { get; init; }
    public string? RequestedBy { get; init; }
}

public sealed record PagedResult<T>(IReadOnlyList<T> Items, int TotalCount, int Page, int PageSize);

/// <summary>Publishes a run's changes to the console's change feed (<see cref="Changes.IChangeFeed"/>), after every state change.</summary>
public sealed class RunChangeFeed(Changes.IChangeFeed changes)
{
    public void Publish(Guid runId) => changes.Publish(new Changes.ConsoleChange(Changes.ChangeKind.Run, runId));
}
