using Amazon.KeyManagementService;

namespace KmsConsole.Rotation;

/// <summary>The parameters a workflow takes from its requester; the form shows only these and the preflight checks only these.</summary>
[Flags]
public enum WorkflowInputs
{
    None = 0,

    /// <summary>EnableKeyRotation's period (<see cref="WorkflowBounds.RotationPeriod"/>).</summary>
    RotationPeriod = 1,

    /// <summary>Also RotateKeyOnDemand right away.</summary>
    RotateNow = 2,

    /// <summary>What happens to the old key after an alias swap (the fates are the definition's <c>OldKeyFates</c>).</summary>
    OldKeyFate = 4,

    /// <summary>ImportKeyMaterial's expiration model and ValidTo.</summary>
    MaterialExpiry = 8,

    /// <summary>GetParametersForImport's wrapping algorithm.</summary>
    WrappingAlgorithm = 16,
}

/// <summary>An inclusive range of days a KMS operation accepts for one parameter, with the words the form and the preflight use.</summary>
/// <param name="What">The parameter as the user reads it, starting a sentence.</param>
/// <param name="Operation">The KMS operation that sets the bound.</param>
public sealed record DayRange(string What, int Min, int Max, string Operation)
{
    public bool Contains(int days) => days >= Min && days <= Max;

    /// <summary>The bound in words, e.g. "The rotation period must be between 90 and 2560 days".</summary>
    public string Rule => $"{What} must be between {Min} and {Max} days";

    /// <summary>The preflight's refusal of a value asked for: the rule, the operation and the value.</summary>
    public string Refusal(int asked) => $"{Rule} ({Operation}); {asked} was asked.";
}

/// <summary>
/// The bounds KMS sets on workflow parameters (KMS API reference), in one place: the request form refuses at the field
/// with them, the preflight refuses the request with them, and the API reads the same.
/// </summary>
public static class WorkflowBounds
{
    /// <summary>EnableKeyRotation: RotationPeriodInDays 90–2560; KMS's default is 365.</summary>
    public static DayRange RotationPeriod { get; } = new("The rotation period", 90, 2560, "EnableKeyRotation");

    public const int DefaultRotationPeriodInDays = 365;

    /// <summary>ScheduleKeyDeletion: PendingWindowInDays 7–30; KMS's default is 30.</summary>
    public static DayRange PendingWindow { get; } = new("The waiting period before deletion", 7, 30, "ScheduleKeyDeletion");

    public const int DefaultPendingWindowInDays = 30;

    /// <summary>ImportKeyMaterial: ValidTo at most 365 days ahead.</summary>
    public const int MaxValidToDays = 365;

    /// <summary>RotateKeyOnDemand: at most 25 on-demand rotations per key.</summary>
    public const int MaxOnDemandRotations = 25;

    /// <summary>The wrapping algorithms offered for imports (RSA_2048 wrapping keys, OAEP only).</summary>
    public static IReadOnlyList<string> WrappingAlgorithms { get; } = [AlgorithmSpec.RSAES_OAEP_SHA_256.Value, AlgorithmSpec.RSAES_OAEP_SHA_1.Value];
}
