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
/// AWS records a caller's DisabledException only in CloudTrail, which this step does not read.
/// </summary>
internal sealed class RetirementWatchStep(IAmazonKeyManagementService kms, HazardCheck? safety) : WorkflowStep
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
        var state = (await KmsKeys.DescribeAsync(kms, keyId, context.CancellationToken)).KeyMetadata.KeyState;
        var use = await KmsKeys.ReadAsync(() => KeyLastUse.ReadAsync(kms, keyId, _ => false, context.CancellationToken), context.CancellationToken);
        if (use.UsedSince(started))
        {
            throw new StepCheckFailedException($"The old key {keyId} was used during its watch ({use.Describe()}, watched since {KeyLastUse.Format(started)}); " +
                "its deletion is not scheduled. Find the caller before retiring it; re-enable it from the run page if it is still needed.");
        }

        if (state != KeyState.Disabled)
        {
            throw new StepCheckFailedException($"The old key {keyId} is {state}, not Disabled: it was enabled again during its watch, so its deletion is not scheduled.");
        }

        var end = started.AddDays(Options.RetirementWatchDays);
        if (now >= end)
        {
            context.Remove(NextCheckValue);
            return new StepResult($"Watched {keyId} from {KeyLastUse.Format(started)} to {KeyLastUse.Format(now)}, disabled and unused ({use.Describe()})");
        }

        var next = now + Options.RetirementCheckInterval;
        context.Set(NextCheckValue, Format(next < end ? next : end));
        return StepResult.Waiting($"Watching the disabled key {keyId} until {KeyLastUse.Format(end)}; last use read {KeyLastUse.Format(now)}: {use.Describe()}. " +
            $"Next read {KeyLastUse.Format(next < end ? next : end)}.");
    }

    internal static bool TryTime(string? value, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time);

    private static string Format(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);
}
