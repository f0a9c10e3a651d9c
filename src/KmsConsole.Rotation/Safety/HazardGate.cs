using System.Globalization;
using Amazon.KeyManagementService;
using KmsConsole.Rotation.Approvals;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Safety;

/// <summary>
/// The gate before the old key's fate, with the hazard check in it: each time the run reaches or is let through the
/// gate, the hazards are found again (the old key's use since the alias moved above all) and kept on the run. The gate
/// passes only with its approvals and with every high hazard acknowledged by an approver.
/// </summary>
internal sealed class HazardGate(ApprovalGate approval, HazardCheck check, IAmazonKeyManagementService kms) : WorkflowStep
{
    /// <summary>When the alias moved to the new key (set by the alias step), the cut-off for "used after the alias moved".</summary>
    public const string AliasMovedValue = "AliasMovedAt";

    public override string Key => approval.Key;
    public override string Name => approval.Name;
    public override StepKind Kind => StepKind.Gate;
    public override string Description => approval.Description +
        " Before it passes, the hazards are checked again (use of the old key after the alias moved, policies, grants); a high hazard needs an approver's acknowledgement.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var run = context.Run;
        var moved = DateTimeOffset.TryParse(context.Get(AliasMovedValue), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : (DateTimeOffset?)null;
        var own = run.Steps.Select(s => s.AwsRequestId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var hazards = await check.FindAsync(new HazardScope(run.Target, kms, run.KeyId, run.AliasName, run.NewKeyId, moved, own), context.CancellationToken);
        SafetyReview.Record(run, hazards, context.Time.GetUtcNow());
        var review = SafetyReview.Of(run);
        var summary = hazards.Count == 0 ? "no hazards found" : $"{hazards.Count} hazard(s), {hazards.Count(h => h.IsHigh)} high";

        var approved = await approval.ExecuteAsync(context);
        var blocking = review.Unacknowledged;
        if (blocking.Count > 0)
        {
            var why = $"{blocking.Count} high hazard(s) block the old key's fate until an approver acknowledges them: " +
                      string.Join(" ", blocking.Select(h => h.Words));
            return StepResult.Waiting(approved.IsWaiting ? $"{approved.WaitingReason} {why}" : why);
        }

        if (approved.IsWaiting)
        {
            return StepResult.Waiting($"{approved.WaitingReason} Hazard check: {summary}.");
        }

        var acknowledged = review.AcknowledgedBy is { } by && hazards.Any(h => h.IsHigh) ? $"; high hazards acknowledged by {by}" : "";
        return new StepResult($"{approved.Output}; hazard check: {summary}{acknowledged}");
    }
}
