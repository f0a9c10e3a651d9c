using KmsConsole.Rotation;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Shared;

namespace KmsConsole.Web.Components.Runs;

/// <summary>One thing a run's approval releases, in words: what it is and what was chosen.</summary>
/// <param name="Id">A stable name for the line (tests and styling).</param>
public sealed record RunParameterLine(string Id, string Label, string Value);

/// <summary>
/// A run's parameters as the approver reads them. Only the inputs the workflow's definition takes are listed
/// (<see cref="WorkflowDefinition.Takes"/>), so a workflow that imports nothing shows no wrapping algorithm.
/// </summary>
public static class RunParameterLines
{
    public static IReadOnlyList<RunParameterLine> For(WorkflowDefinition? definition, RotationParameters p)
    {
        var lines = new List<RunParameterLine>();
        if (definition is null)
        {
            return lines;
        }

        if (definition.Takes(WorkflowInputs.RotationPeriod))
        {
            lines.Add(new("rotation-period", "Rotation period", p.RotationPeriodInDays is { } days
                ? $"every {Durations.Days(days)}"
                : $"every {Durations.Days(WorkflowBounds.DefaultRotationPeriodInDays)} (KMS's default)"));
        }

        if (definition.Takes(WorkflowInputs.RotateNow))
        {
            lines.Add(new("rotate-now", "Rotate now", p.RotateNow ? "yes, once right away (RotateKeyOnDemand)" : "no, only on the schedule"));
        }

        if (definition.Takes(WorkflowInputs.OldKeyFate))
        {
            lines.Add(new("old-key-fate", "The old key", OldKeyFateText.Describe(p.OldKeyFate, p.PendingWindowInDays)));
        }

        if (definition.Takes(WorkflowInputs.MaterialExpiry))
        {
            lines.Add(new("material-expiry", "New key material", p.ExpirationModel == RotationParameters.KeyMaterialExpires && p.ValidTo is { } validTo
                ? $"expires on {validTo.UtcDateTime:yyyy-MM-dd HH:mm} UTC (ValidTo)"
                : "does not expire"));
        }

        if (definition.Takes(WorkflowInputs.WrappingAlgorithm))
        {
            lines.Add(new("wrapping-algorithm", "Wrapping algorithm", $"{p.WrappingAlgorithm} (GetParametersForImport)"));
        }

        return lines;
    }
}

/// <summary>What happens to the old key after an alias swap, in words, with the waiting period where there is one.</summary>
public static class OldKeyFateText
{
    public static string Describe(OldKeyFate fate, int? pendingWindowInDays)
    {
        var window = Durations.Days(pendingWindowInDays ?? WorkflowBounds.DefaultPendingWindowInDays);
        return fate switch
        {
            OldKeyFate.Keep => "kept enabled",
            OldKeyFate.Disable => "disabled (DisableKey), behind an approval gate of its own",
            OldKeyFate.ScheduleDeletion => $"deletion scheduled, deleted after {window} (ScheduleKeyDeletion), behind an approval gate of its own",
            OldKeyFate.DeleteImportedMaterial => "its imported key material deleted (DeleteImportedKeyMaterial), behind an approval gate of its own",
            OldKeyFate.StagedRetirement => $"retired in stages: disabled, watched for use, then its deletion scheduled with a waiting period of {window}, each destructive step behind an approval gate",
            _ => fate.ToString(),
        };
    }
}
