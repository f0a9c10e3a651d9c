namespace KmsConsole.Rotation.Governance;

/// <summary>
/// The answer for every key and active policy, computed in memory from the inventory's snapshots: the database work
/// around it (<see cref="ComplianceEvaluation"/>) reads the inputs once and writes only the answers that changed.
/// </summary>
internal sealed class ComplianceEvaluator(IReadOnlyList<PolicyExemption> exemptions,
    IReadOnlySet<(string Target, string KeyId)> escrowed, DateTimeOffset now)
{
    private readonly Dictionary<(Guid PolicyId, string Target, string KeyId), PolicyExemption> _exemptions = exemptions
        .Where(e => e.CountsAt(now))
        .GroupBy(e => (e.PolicyId, e.Target, e.KeyId)).ToDictionary(g => g.Key, g => g.MaxBy(e => e.ExpiresAt)!);

    public DateTimeOffset Now => now;

    /// <summary>The answer for one key under one policy; <paramref name="before"/> is the previous answer, whose dates carry over while it holds.</summary>
    public ComplianceResult Evaluate(RotationPolicy policy, KeySnapshot key, ComplianceResult? before)
    {
        var verdict = Judge(policy, key);
        DateTimeOffset? nonCompliantSince = verdict.Status != ComplianceStatus.NonCompliant ? null
            : verdict.Since ?? (before is { Status: ComplianceStatus.NonCompliant, NonCompliantSince: { } since } ? since : now);
        var result = new ComplianceResult
        {
            PolicyId = policy.PolicyId,
            Target = key.Target,
            KeyId = key.KeyId,
            PolicyVersion = policy.Version,
            Status = verdict.Status,
            Reason = verdict.Reason,
            DueAt = verdict.DueOnceBroken ? nonCompliantSince : verdict.DueAt,
            Remedy = verdict.Status == ComplianceStatus.NonCompliant
                ? ComplianceRules.For(policy.Rule.Kind).RemedyFor(key, policy.Rule, escrowed.Contains((key.Target, key.KeyId)))
                : null,
            NonCompliantSince = nonCompliantSince,
            ChangedAt = now,
        };
        if (before is not null && SameAnswer(before, result))
        {
            result.ChangedAt = before.ChangedAt;
        }

        return result;
    }

    /// <summary>Scope by name first (nothing to read), then an exemption, then whether the key was read, then scope by details, then the rule.</summary>
    public Verdict Judge(RotationPolicy policy, KeySnapshot key)
    {
        var scope = policy.Scope;
        if (scope.WhyOutsideByName(key) is { } outside)
        {
            return Verdict.NotApplicable(outside);
        }

        if (_exemptions.TryGetValue((policy.PolicyId, key.Target, key.KeyId), out var exemption))
        {
            return new Verdict(ComplianceStatus.Exempt,
                $"exempt until {exemption.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC: {exemption.Reason}", DueAt: exemption.ExpiresAt);
        }

        if (key.CouldNotRead)
        {
            return new Verdict(ComplianceStatus.CouldNotRead, $"the last sync could not read the key: {key.ReadErrorCode}: {key.ReadErrorMessage}");
        }

        if (scope.NeedsTagsOf(key))
        {
            return new Verdict(ComplianceStatus.CouldNotRead, "the last sync could not read the key's tags, which the scope needs");
        }

        if (scope.WhyOutsideByDetails(key) is { } outsideByDetails)
        {
            return Verdict.NotApplicable(outsideByDetails);
        }

        return ComplianceRules.For(policy.Rule.Kind).Judge(key, policy.Rule.Days, now);
    }

    public static bool SameAnswer(ComplianceResult a, ComplianceResult b) =>
        a.PolicyVersion == b.PolicyVersion && a.Status == b.Status && a.Reason == b.Reason && a.NonCompliantSince == b.NonCompliantSince
        && a.DueAt == b.DueAt && a.Remedy == b.Remedy;
}
