using System.Globalization;
using Amazon.KeyManagementService;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;

namespace KmsConsole.Rotation.Safety;

/// <summary>
/// Staged retirement: watches the disabled old key for <see cref="SafetyOptions.RetirementWatchDays"/> days, reading its
/// last use again each time <see cref="RetirementWatch"/> lets the run through (daily by default). The run waits here
/// in between. If the key was used since it was disabled (someone re-enabled it and it was used), or it is no longer
/// Disabled, the watch stops the run: its deletion is not scheduled, and the approvers are told (a failed run notifies).
/// A multi-Region primary's replicas are watched the same way, each in its Region (each is a KMS key of its own, with
/// its own state and last use). AWS records a caller's DisabledException only in CloudTrail, which this step does not read.
/// </summary>
internal sealed class RetirementWatchStep(IAmazonKeyManagementService kms, HazardCheck? safety, Func<string, IAmazonKeyManagementService>? inRegion = null)
    : WorkflowStep
{
    public const string StartedValue = "RetirementWatchStartedAt";
    public const string NextCheckValue = "RetirementNextCheckAt";

    private SafetyOptions Options => safety?.Options ?? new SafetyOptions();

    public override string Key => SafetyStepKey.RetirementWatch;
    public override string Name => "Watch the disabled old key";
    public override string Description =>
        $"The old key stays disabled for {Options.RetirementWatchDays} days, its last use read again every {Options.RetirementCheckInterval.TotalHours:0.#} hours; " +
        "a use or a re-enable stops the retirement before its deletion is scheduled.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var now = context.Time.GetUtcNow();
        if (!TryTime(context.Get(StartedValue), out var started))
        {
            started = now;
            context.Set(StartedValue, Format(now));
        }

        var keyId = context.Run.KeyId;
        var old = (await KmsKeys.DescribeAsync(kms, keyId, context.CancellationToken)).KeyMetadata;
        var use = await CheckAsync(kms, keyId, old.KeyState, started, "", context.CancellationToken);
        var replicas = await new OldKeyReplicas(kms, inRegion).ReadAsync(old, context.CancellationToken);
        foreach (var replica in replicas)
        {
            await CheckAsync(replica.Kms, keyId, replica.State, started, $" (its replica in {replica.Region})", context.CancellationToken);
        }

        var andReplicas = replicas.Count == 0 ? "" : $" and its replicas in {string.Join(", ", replicas.Select(r => r.Region))}";

        var end = started.AddDays(Options.RetirementWatchDays);
        if (now >= end)
        {
            context.Remove(NextCheckValue);
            return new StepResult($"Watched {keyId}{andReplicas} from {KeyLastUse.Format(started)} to {KeyLastUse.Format(now)}, disabled and unused ({use.Describe()})");
        }

        var next = now + Options.RetirementCheckInterval;
        context.Set(NextCheckValue, Format(next < end ? next : end));
        return StepResult.Waiting($"Watching the disabled key {keyId}{andReplicas} until {KeyLastUse.Format(end)}; last use read {KeyLastUse.Format(now)}: {use.Describe()}. " +
            $"Next read {KeyLastUse.Format(next < end ? next : end)}.");
    }

    /// <summary>Stops the watch when the key (the old key or one of its replicas, <paramref name="which"/>) was used since the watch began or is usable again.</summary>
    private static async Task<KeyLastUse> CheckAsync(IAmazonKeyManagementService kms, string keyId, KeyState state, DateTimeOffset started, string which,
        CancellationToken cancellationToken)
    {
        var use = await KmsKeys.ReadAsync(() => KeyLastUse.ReadAsync(kms, keyId, _ => false, cancellationToken), cancellationToken);
        if (use.UsedSince(started))
        {
            throw new StepCheckFailedException($"The old key {keyId}{which} was used during its watch ({use.Describe()}, watched since {KeyLastUse.Format(started)}); " +
                "its deletion is not scheduled. Find the caller before retiring it; re-enable it from the run page if it is still needed.");
        }

        if (state != KeyState.Disabled)
        {
            throw new StepCheckFailedException($"The old key {keyId}{which} is {state}, not Disabled: it was enabled again during its watch, so its deletion is not scheduled.");
        }

        return use;
    }

    internal static bool TryTime(string? value, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time);

    private static string Format(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);
}
