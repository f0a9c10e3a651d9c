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
        if (State != RunState.AwaitingApproval || Steps.FirstOrDefault(s => s.Index == CurrentStepIndex) is not { } current)
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

/// <summary>Raised after every state change of a run, so pages can refresh.</summary>
public sealed class RunChangeFeed
{
    public event Action<Guid>? RunChanged;

    public void Publish(Guid runId) => RunChanged?.Invoke(runId);
}
