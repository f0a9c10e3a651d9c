namespace KmsConsole.Rotation.Governance;

public enum CampaignState
{
    /// <summary>Frozen and shown in full to the approvers; nothing runs until enough of them approve.</summary>
    AwaitingApproval,

    /// <summary>Released: the driver starts per-key runs up to the concurrency limit.</summary>
    Running,

    /// <summary>No new key starts; runs already started go on.</summary>
    Paused,

    /// <summary>Every key ended (succeeded, failed, cancelled or skipped).</summary>
    Finished,

    /// <summary>Keys not yet started never will; runs already started go on to their end.</summary>
    Cancelled,

    Rejected,
}

public enum CampaignKeyState
{
    Waiting,
    Running,
    Succeeded,
    Failed,
    Cancelled,

    /// <summary>The preflight at request time refused the key (its reason is the plan).</summary>
    Skipped,
}

/// <summary>
/// One workflow with its parameters over a set of keys frozen at request time. One approval (the workflow's M-of-N,
/// never the requester) releases it; it then runs as ordinary per-key runs, each with its own steps, locks, audit and resume.
/// </summary>
public sealed class Campaign
{
    public Guid Id { get; set; }
    public string Target { get; set; } = "";
    public WorkflowKind Workflow { get; set; }
    public RotationParameters Parameters { get; set; } = new();
    public string Justification { get; set; } = "";

    /// <summary>The policy whose non-compliant keys it remedies, when opened from the Compliance page.</summary>
    public Guid? PolicyId { get; set; }

    /// <summary>The campaign whose failed keys this one retries.</summary>
    public Guid? FollowUpOf { get; set; }

    public string RequestedBy { get; set; } = "";
    public string RequestedByName { get; set; } = "";

    /// <summary>A scheduled campaign's policy and period ("policy id @ period start"): unique, so each period opens once across instances.</summary>
    public string? ScheduleKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public CampaignState State { get; set; }

    /// <summary>Per-key runs active at once.</summary>
    public int Concurrency { get; set; }

    public string? DecidedByName { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>When the first key's run reached the gate before the old keys' fate while it was undecided (its approvers are told then).</summary>
    public DateTimeOffset? FateWaitingSince { get; set; }

    /// <summary>When the first key's run reached a staged retirement's deletion gate while it was undecided (its approvers are told then).</summary>
    public DateTimeOffset? DeletionWaitingSince { get; set; }

    public int Revision { get; set; }
    public List<CampaignKey> Keys { get; set; } = [];
    public List<SignOff> SignOffs { get; set; } = [];

    /// <summary>The decisions on the gate before the old keys' fate, taken once for the campaign.</summary>
    public List<SignOff> FateSignOffs { get; set; } = [];

    /// <summary>The gate before the old keys' fate, when the workflow has one with these parameters (filled by <see cref="Campaigns.GetAsync"/>).</summary>
    public CampaignFate? Fate { get; set; }

    /// <summary>The decisions on a staged retirement's gate before the old keys' deletion, taken once for the campaign.</summary>
    public List<SignOff> DeletionSignOffs { get; set; } = [];

    /// <summary>A staged retirement's gate before the old keys' deletion (filled by <see cref="Campaigns.GetAsync"/>); null without a staged retirement.</summary>
    public CampaignFate? Deletion { get; set; }

    /// <summary>The decisions on <paramref name="gate"/>.</summary>
    public List<SignOff> SignOffsOn(CampaignGate gate) => gate == CampaignGate.Fate ? FateSignOffs : DeletionSignOffs;

    /// <summary>When the first key's run reached <paramref name="gate"/> undecided; null until then.</summary>
    public DateTimeOffset? WaitingSinceAt(CampaignGate gate) => gate == CampaignGate.Fate ? FateWaitingSince : DeletionWaitingSince;

    public bool IsOver => State is CampaignState.Finished or CampaignState.Cancelled or CampaignState.Rejected;
}

/// <summary>One key of a campaign: its frozen plan, and once started, its run.</summary>
public sealed class CampaignKey
{
    public Guid CampaignId { get; set; }
    public int Index { get; set; }
    public string KeyId { get; set; } = "";
    public string? Alias { get; set; }

    /// <summary>The steps the run will take and the old key's fate, or why the key is skipped, as the approver read it.</summary>
    public string Plan { get; set; } = "";

    public CampaignKeyState State { get; set; }
    public Guid? RunId { get; set; }

    /// <summary>How the key's run ended, or why it could not start.</summary>
    public string? Outcome { get; set; }
}

/// <summary>What the requester asks: a workflow and its parameters over keys (ids or aliases) of one target.</summary>
public sealed record CampaignRequest(string Target, IReadOnlyList<string> Keys, WorkflowKind Workflow, RotationParameters Parameters, string Justification,
    int Concurrency = Campaigns.DefaultConcurrency, Guid? PolicyId = null);

/// <summary>Counts for the live progress.</summary>
public sealed record CampaignProgress(int Done, int Running, int Failed, int Waiting, int Other)
{
    public static CampaignProgress Of(Campaign c) => new(
        c.Keys.Count(k => k.State == CampaignKeyState.Succeeded),
        c.Keys.Count(k => k.State == CampaignKeyState.Running),
        c.Keys.Count(k => k.State == CampaignKeyState.Failed),
        c.Keys.Count(k => k.State == CampaignKeyState.Waiting),
        c.Keys.Count(k => k.State is CampaignKeyState.Cancelled or CampaignKeyState.Skipped));
}
