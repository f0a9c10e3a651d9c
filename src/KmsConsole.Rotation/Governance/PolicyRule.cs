namespace KmsConsole.Rotation.Governance;

/// <summary>What a policy asks of every key in its scope.</summary>
public enum PolicyRuleKind
{
    /// <summary>Automatic rotation on, with a period of at most N days (Security Hub KMS.4 / CIS, with a period).</summary>
    AutomaticRotation,

    /// <summary>Imported material must not expire within D days.</summary>
    MaterialExpiry,

    /// <summary>Imported keys get new material at least every N days.</summary>
    MaterialAge,

    /// <summary>A key older than N days is replaced by a new key behind its alias.</summary>
    KeyAge,

    /// <summary>Keys pending deletion or disabled are flagged for someone to look at.</summary>
    KeyStateReview,
}

/// <summary>
/// The rule of a policy: its kind, its number of days, and the workflow (with parameters) that remedies a key breaking it.
/// <see cref="ComplianceRules"/> knows what each kind means; nothing else switches over kinds.
/// </summary>
public sealed record PolicyRule
{
    public PolicyRuleKind Kind { get; init; }

    /// <summary>N or D of the rule; ignored by <see cref="PolicyRuleKind.KeyStateReview"/>.</summary>
    public int Days { get; init; }

    /// <summary>The workflow a campaign runs on a key that breaks the rule; null for a rule that only flags.</summary>
    public WorkflowKind? Remedy { get; init; }

    /// <summary>The remedy's parameters, as a requester would choose them for one key.</summary>
    public RotationParameters RemedyParameters { get; init; } = new();
}
