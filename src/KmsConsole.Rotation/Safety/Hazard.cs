using System.Text.Json;

namespace KmsConsole.Rotation.Safety;

/// <summary>How much a hazard weighs: a warning is shown; a high hazard blocks a destructive fate until an approver acknowledges it.</summary>
public enum HazardWeight
{
    Warning,
    High,
}

/// <summary>
/// One thing a destructive step is about to break, in words, with the evidence it was found from.
/// </summary>
/// <param name="Id">Stable across re-checks of the same finding (what an acknowledgement names).</param>
/// <param name="Words">What may break, for the approver.</param>
/// <param name="Evidence">Where it was seen: the KMS answer, the policy and statement, the grant.</param>
public sealed record Hazard(string Id, HazardWeight Weight, string Words, string Evidence)
{
    public bool IsHigh => Weight == HazardWeight.High;
}

/// <summary>
/// The hazards a run's fate gate last found and the approver's acknowledgement of them, kept in the run's values (so the
/// run page shows them and the gate reads them back after a restart).
/// </summary>
public sealed record SafetyReview(IReadOnlyList<Hazard> Hazards, IReadOnlySet<string> Acknowledged, string? AcknowledgedBy, DateTimeOffset? CheckedAt)
{
    internal const string HazardsValue = "SafetyHazards";
    internal const string CheckedAtValue = "SafetyCheckedAt";
    internal const string AcknowledgedValue = "SafetyAcknowledged";
    internal const string AcknowledgedByValue = "SafetyAcknowledgedBy";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static SafetyReview Empty { get; } = new([], new HashSet<string>(), null, null);

    /// <summary>High hazards no approver acknowledged yet: while any remains, the destructive fate waits.</summary>
    public IReadOnlyList<Hazard> Unacknowledged => Hazards.Where(h => h.IsHigh && !Acknowledged.Contains(h.Id)).ToList();

    /// <summary>What the run's fate gate last found; empty before the gate was reached.</summary>
    public static SafetyReview Of(Run run)
    {
        var hazards = run.Values.TryGetValue(HazardsValue, out var json) ? JsonSerializer.Deserialize<List<Hazard>>(json, Json) ?? [] : [];
        var acknowledged = run.Values.TryGetValue(AcknowledgedValue, out var ids) ? JsonSerializer.Deserialize<HashSet<string>>(ids, Json) ?? [] : [];
        var checkedAt = run.Values.TryGetValue(CheckedAtValue, out var at) && DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.RoundtripKind, out var time) ? time : (DateTimeOffset?)null;
        return new SafetyReview(hazards, acknowledged, run.Values.GetValueOrDefault(AcknowledgedByValue), checkedAt);
    }

    internal static void Record(Run run, IReadOnlyList<Hazard> hazards, DateTimeOffset now)
    {
        run.Values[HazardsValue] = JsonSerializer.Serialize(hazards, Json);
        run.Values[CheckedAtValue] = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static void Acknowledge(Run run, IEnumerable<string> ids, string by)
    {
        var all = Of(run).Acknowledged.Concat(ids).ToHashSet(StringComparer.Ordinal);
        run.Values[AcknowledgedValue] = JsonSerializer.Serialize(all, Json);
        run.Values[AcknowledgedByValue] = by;
    }
}
