using Amazon.KeyManagementService;

namespace KmsConsole.Rotation;

/// <summary>What the requester chose for a run; stored with the run as JSON.</summary>
public sealed record RotationParameters
{
    public static string KeyMaterialExpires => ExpirationModelType.KEY_MATERIAL_EXPIRES.Value;
    public static string KeyMaterialDoesNotExpire => ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE.Value;
    public static string OaepSha256 => AlgorithmSpec.RSAES_OAEP_SHA_256.Value;
    public static string OaepSha1 => AlgorithmSpec.RSAES_OAEP_SHA_1.Value;

    /// <summary>EnableKeyRotation's period (<see cref="WorkflowBounds.RotationPeriod"/>); null means KMS's default of 365.</summary>
    public int? RotationPeriodInDays { get; init; }

    /// <summary>Workflow 1: also RotateKeyOnDemand right away.</summary>
    public bool RotateNow { get; init; }

    public OldKeyFate OldKeyFate { get; init; } = OldKeyFate.Keep;

    /// <summary>ScheduleKeyDeletion's waiting period (<see cref="WorkflowBounds.PendingWindow"/>); KMS's default is 30.</summary>
    public int? PendingWindowInDays { get; init; }

    public string WrappingAlgorithm { get; init; } = AlgorithmSpec.RSAES_OAEP_SHA_256.Value;

    public string ExpirationModel { get; init; } = ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE.Value;

    public DateTimeOffset? ValidTo { get; init; }

    /// <summary>Roll back: the run whose alias swap is undone.</summary>
    public Guid? RollBackOf { get; init; }
}

public sealed record RotationRequest(
    string Target,
    string KeyIdOrAlias,
    WorkflowKind Workflow,
    RotationParameters Parameters,
    string Justification);

public sealed record PlannedStep(int Index, string Name, StepKind Kind, string Description);

/// <param name="Permissions">The executing principal's permission check (its report, or why it could not be made); null when not asked.</param>
public sealed record PreflightPlan(bool Allowed, IReadOnlyList<string> Refusals, IReadOnlyList<PlannedStep> Steps, KeySummary Key,
    Iam.PermissionOutcome? Permissions = null)
{
    /// <summary>What the run's destructive steps would break as things stand (alias swaps); each with its evidence and weight.</summary>
    public IReadOnlyList<Safety.Hazard> Hazards { get; init; } = [];
}
