namespace KmsConsole.Rotation.Governance;

public enum PolicyState
{
    /// <summary>Proposed by an Admin, waiting for approval by someone else.</summary>
    Proposed,

    /// <summary>The version compliance is evaluated against.</summary>
    Active,

    Rejected,

    /// <summary>A later version of the policy was approved.</summary>
    Superseded,

    /// <summary>Retired: an approved proposal to stop evaluating the policy.</summary>
    Retired,
}

/// <summary>
/// One version of a rotation policy: scope, rule and remedy, who proposed it and who decided. A change is a new
/// version, proposed and approved like the first; the active version is the one compliance answers name.
/// </summary>
public sealed class RotationPolicy
{
    /// <summary>This version's own id (approvals point at it).</summary>
    public Guid Id { get; set; }

    /// <summary>The policy across its versions.</summary>
    public Guid PolicyId { get; set; }

    public int Version { get; set; }

    public string Name { get; set; } = "";

    public PolicyScope Scope { get; set; } = new();

    public PolicyRule Rule { get; set; } = new();

    /// <summary>When the policy opens campaigns by itself; null when only people open them.</summary>
    public PolicySchedule? Schedule { get; set; }

    public PolicyState State { get; set; }

    /// <summary>This version retires the policy once approved (it keeps the previous version's scope and rule).</summary>
    public bool Retires { get; set; }

    public string ProposedBy { get; set; } = "";
    public string ProposedByName { get; set; } = "";
    public DateTimeOffset ProposedAt { get; set; }
    public string Justification { get; set; } = "";

    public string? DecidedByName { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public string? DecisionComment { get; set; }

    /// <summary>Concurrency token: two approvers deciding at once cannot both pass the version.</summary>
    public int Revision { get; set; }

    public List<SignOff> SignOffs { get; set; } = [];

    /// <summary>"KMS.4 (v2)".</summary>
    public string Title => $"{Name} (v{Version})";
}

public enum ExemptionState
{
    Requested,
    Approved,
    Rejected,
    Revoked,
}

/// <summary>A key exempted from one policy until a date, for a reason, approved by someone other than its requester.</summary>
public sealed class PolicyExemption
{
    public Guid Id { get; set; }
    public Guid PolicyId { get; set; }
    public string Target { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string Reason { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
    public ExemptionState State { get; set; }
    public string RequestedBy { get; set; } = "";
    public string RequestedByName { get; set; } = "";
    public DateTimeOffset RequestedAt { get; set; }
    public string? DecidedByName { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public string? DecisionComment { get; set; }
    public int Revision { get; set; }
    public List<SignOff> SignOffs { get; set; } = [];

    /// <summary>Approved and not yet expired: only then does it count.</summary>
    public bool CountsAt(DateTimeOffset now) => State == ExemptionState.Approved && ExpiresAt > now;
}

/// <summary>One approver's decision on a governance change (a policy version, an exemption, a campaign).</summary>
public sealed class SignOff
{
    public long Id { get; set; }

    /// <summary>The policy version, exemption or campaign decided on.</summary>
    public Guid SubjectId { get; set; }

    public string ApproverId { get; set; } = "";
    public string ApproverName { get; set; } = "";
    public ApprovalDecision Decision { get; set; }
    public string? Comment { get; set; }
    public DateTimeOffset DecidedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>The latest answer for one key and one policy.</summary>
public sealed class ComplianceResult
{
    public Guid PolicyId { get; set; }
    public string Target { get; set; } = "";
    public string KeyId { get; set; } = "";

    /// <summary>The policy version that gave the answer.</summary>
    public int PolicyVersion { get; set; }

    public ComplianceStatus Status { get; set; }
    public string Reason { get; set; } = "";

    /// <summary>When the key became non-compliant (kept across evaluations while it stays so).</summary>
    public DateTimeOffset? NonCompliantSince { get; set; }

    /// <summary>When the remedy is due: the key breaks (or broke) the rule then.</summary>
    public DateTimeOffset? DueAt { get; set; }

    /// <summary>The workflow a campaign would run on this key; null when nothing remedies it.</summary>
    public WorkflowKind? Remedy { get; set; }

    /// <summary>The evaluation that last changed this answer; <see cref="ComplianceDay.EvaluatedAt"/> is the latest evaluation.</summary>
    public DateTimeOffset ChangedAt { get; set; }
}

/// <summary>One policy's counts on one day (the trend), and the time of that day's latest evaluation.</summary>
public sealed class ComplianceDay
{
    /// <summary>Midnight UTC of the day.</summary>
    public DateTimeOffset Day { get; set; }

    public Guid PolicyId { get; set; }
    public int PolicyVersion { get; set; }
    public DateTimeOffset EvaluatedAt { get; set; }
    public int Compliant { get; set; }
    public int NonCompliant { get; set; }
    public int Exempt { get; set; }
    public int NotApplicable { get; set; }
    public int CouldNotRead { get; set; }
}
