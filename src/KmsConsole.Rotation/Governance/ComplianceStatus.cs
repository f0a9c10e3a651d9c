namespace KmsConsole.Rotation.Governance;

/// <summary>The answer for one key and one policy.</summary>
public enum ComplianceStatus
{
    Compliant,
    NonCompliant,

    /// <summary>An approved exemption that has not expired covers the key.</summary>
    Exempt,

    /// <summary>The key is outside the policy's scope, or the rule does not speak of keys like it.</summary>
    NotApplicable,

    /// <summary>The last inventory sync could not read the key (AWS's error is the reason).</summary>
    CouldNotRead,
}

/// <summary>What a rule says of one key: the status, the reason in words, since when it is broken and when it is due.</summary>
/// <param name="Since">When the key broke the rule, when the key itself tells (its age, its material's expiry); otherwise the first evaluation that saw it.</param>
/// <param name="DueAt">When the key breaks (or broke) the rule: the remedy is due by then.</param>
/// <param name="DueOnceBroken">The remedy is due from the moment the key was first seen breaking the rule (its non-compliant-since time).</param>
public sealed record Verdict(ComplianceStatus Status, string Reason, DateTimeOffset? Since = null, DateTimeOffset? DueAt = null, bool DueOnceBroken = false)
{
    public static Verdict Compliant(string reason, DateTimeOffset? dueAt = null) => new(ComplianceStatus.Compliant, reason, null, dueAt);

    public static Verdict NotApplicable(string reason) => new(ComplianceStatus.NotApplicable, reason);

    public static Verdict Broken(string reason, DateTimeOffset? since, DateTimeOffset? dueAt) => new(ComplianceStatus.NonCompliant, reason, since, dueAt);

    /// <summary>Broken since the first evaluation that saw it, and due from then: the same answer on every pass while it holds.</summary>
    public static Verdict BrokenSinceSeen(string reason) => new(ComplianceStatus.NonCompliant, reason, DueOnceBroken: true);
}
