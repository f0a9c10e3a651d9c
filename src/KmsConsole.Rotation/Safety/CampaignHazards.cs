namespace KmsConsole.Rotation.Safety;

/// <summary>The high hazards one key's run found at its fate gate that no approver acknowledged yet.</summary>
/// <param name="Key">The key as the campaign names it (its alias, else its id).</param>
public sealed record KeyHazards(string Key, Guid RunId, IReadOnlyList<Hazard> Unacknowledged);

/// <summary>
/// The hazard check of a campaign's keys, from the same check a single request's preflight and fate gate run: each key's
/// preflight hazards written into its frozen plan, and at the campaign's fate gate the high hazards each key's run found
/// there, which block that key's destructive fate until an approver acknowledges them, as a single run's gate does.
/// </summary>
public static class CampaignHazards
{
    /// <summary>"; hazards: none", or each hazard in words with its evidence, high ones first, for a key's frozen plan.</summary>
    public static string PlanLine(IReadOnlyList<Hazard> hazards) =>
        hazards.Count == 0 ? "; hazards: none found"
        : $"; hazards ({hazards.Count}, {hazards.Count(h => h.IsHigh)} high): " + string.Join(" ", hazards.OrderByDescending(h => h.IsHigh)
            .Select(h => $"[{(h.IsHigh ? "High" : "Warning")}] {h.Words} Evidence: {h.Evidence}"));

    /// <summary>Of the runs waiting at the fate gate, those with high hazards to acknowledge, in the campaign's key order.</summary>
    public static IReadOnlyList<KeyHazards> AtFateGate(IEnumerable<(string Key, Run Run)> waitingAtGate) =>
        waitingAtGate.Select(w => new KeyHazards(w.Key, w.Run.Id, SafetyReview.Of(w.Run).Unacknowledged)).Where(k => k.Unacknowledged.Count > 0).ToList();
}
