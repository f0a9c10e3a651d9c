using KmsConsole.Rotation;

namespace KmsConsole.Web.Components.Keys;

/// <summary>
/// What the request form holds, and the same limits the KMS API enforces, so bad input is refused at
/// the field before anything is sent (the Rotation services check again on submit).
/// </summary>
public sealed class RotationRequestForm
{
    public const int MinRotationPeriodInDays = 90;   // EnableKeyRotation: RotationPeriodInDays 90–2560
    public const int MaxRotationPeriodInDays = 2560;
    public const int MinPendingWindowInDays = 7;     // ScheduleKeyDeletion: PendingWindowInDays 7–30
    public const int MaxPendingWindowInDays = 30;
    public const int MaxValidToDays = 365;           // ImportKeyMaterial: ValidTo at most 365 days ahead

    public const string KeyMaterialExpires = "KEY_MATERIAL_EXPIRES";
    public const string KeyMaterialDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE";

    public static IReadOnlyList<string> WrappingAlgorithms { get; } = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1"];

    public WorkflowKind? Workflow { get; set; }
    public int? RotationPeriodInDays { get; set; } = 365;
    public bool RotateNow { get; set; }
    public OldKeyFate OldKeyFate { get; set; } = OldKeyFate.Keep;
    public int? PendingWindowInDays { get; set; } = 30;
    public string WrappingAlgorithm { get; set; } = "RSAES_OAEP_SHA_256";
    public string ExpirationModel { get; set; } = KeyMaterialDoesNotExpire;
    public DateTime? ValidToDate { get; set; }
    public string Justification { get; set; } = string.Empty;

    public bool UsesRotationPeriod => Workflow == WorkflowKind.EnableAutomaticRotation;

    public bool UsesOldKeyFate => Workflow is WorkflowKind.AliasSwapNewKey or WorkflowKind.AliasSwapImportedKey;

    public bool UsesPendingWindow => UsesOldKeyFate && OldKeyFate == OldKeyFate.ScheduleDeletion;

    public bool UsesImport => Workflow is WorkflowKind.AliasSwapImportedKey or WorkflowKind.NewMaterialInPlace or WorkflowKind.ReimportBeforeExpiry;

    public bool UsesWrappingAlgorithm => Workflow is WorkflowKind.AliasSwapImportedKey or WorkflowKind.NewMaterialInPlace;

    public bool UsesValidTo => UsesImport && ExpirationModel == KeyMaterialExpires;

    /// <summary>The old key's fates that fit the workflow (imported material can be deleted only from an EXTERNAL key).</summary>
    public IReadOnlyList<OldKeyFate> OldKeyFates => Workflow == WorkflowKind.AliasSwapImportedKey
        ? [OldKeyFate.Keep, OldKeyFate.Disable, OldKeyFate.ScheduleDeletion, OldKeyFate.DeleteImportedMaterial]
        : [OldKeyFate.Keep, OldKeyFate.Disable, OldKeyFate.ScheduleDeletion];

    public static string? ValidateRotationPeriod(int? days) =>
        days is null ? "Enter the rotation period in days."
        : days < MinRotationPeriodInDays || days > MaxRotationPeriodInDays
            ? $"The rotation period must be between {MinRotationPeriodInDays} and {MaxRotationPeriodInDays} days."
            : null;

    public static string? ValidatePendingWindow(int? days) =>
        days is null ? "Enter the waiting period in days."
        : days < MinPendingWindowInDays || days > MaxPendingWindowInDays
            ? $"The waiting period before deletion must be between {MinPendingWindowInDays} and {MaxPendingWindowInDays} days."
            : null;

    public static string? ValidateValidTo(DateTime? date, DateTimeOffset now)
    {
        if (date is null)
        {
            return "Enter the date the key material expires.";
        }

        var validTo = ToValidTo(date.Value);
        if (validTo <= now)
        {
            return "The expiry must be in the future.";
        }

        return validTo > now.AddDays(MaxValidToDays) ? $"The expiry can be at most {MaxValidToDays} days from now." : null;
    }

    public static string? ValidateWrappingAlgorithm(string? algorithm) =>
        algorithm is not null && WrappingAlgorithms.Contains(algorithm) ? null : "Choose RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.";

    public static string? ValidateJustification(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "A justification is required: say why this key is rotated." : null;

    /// <summary>Every problem with the form as it stands, keyed by field, for the current workflow.</summary>
    public IReadOnlyDictionary<string, string> Problems(DateTimeOffset now)
    {
        var problems = new Dictionary<string, string>();
        void Check(string field, string? problem)
        {
            if (problem is not null)
            {
                problems[field] = problem;
            }
        }

        if (Workflow is null)
        {
            problems[nameof(Workflow)] = "Choose a workflow.";
        }

        if (UsesRotationPeriod)
        {
            Check(nameof(RotationPeriodInDays), ValidateRotationPeriod(RotationPeriodInDays));
        }

        if (UsesPendingWindow)
        {
            Check(nameof(PendingWindowInDays), ValidatePendingWindow(PendingWindowInDays));
        }

        if (UsesWrappingAlgorithm)
        {
            Check(nameof(WrappingAlgorithm), ValidateWrappingAlgorithm(WrappingAlgorithm));
        }

        if (UsesValidTo)
        {
            Check(nameof(ValidToDate), ValidateValidTo(ValidToDate, now));
        }

        Check(nameof(Justification), ValidateJustification(Justification));
        return problems;
    }

    /// <summary>The expiry is the end of the chosen day, UTC.</summary>
    public static DateTimeOffset ToValidTo(DateTime date) =>
        new DateTimeOffset(DateTime.SpecifyKind(date.Date, DateTimeKind.Utc)).AddDays(1).AddSeconds(-1);

    public RotationParameters ToParameters() => new()
    {
        RotationPeriodInDays = UsesRotationPeriod ? RotationPeriodInDays : null,
        RotateNow = UsesRotationPeriod && RotateNow,
        OldKeyFate = UsesOldKeyFate ? OldKeyFate : OldKeyFate.Keep,
        PendingWindowInDays = UsesPendingWindow ? PendingWindowInDays : null,
        WrappingAlgorithm = UsesWrappingAlgorithm ? WrappingAlgorithm : "RSAES_OAEP_SHA_256",
        ExpirationModel = UsesImport ? ExpirationModel : KeyMaterialDoesNotExpire,
        ValidTo = UsesValidTo && ValidToDate is { } date ? ToValidTo(date) : null,
    };

    public static string DescribeFate(OldKeyFate fate) => fate switch
    {
        OldKeyFate.Keep => "Keep it enabled",
        OldKeyFate.Disable => "Disable it (DisableKey)",
        OldKeyFate.ScheduleDeletion => "Schedule its deletion (ScheduleKeyDeletion)",
        OldKeyFate.DeleteImportedMaterial => "Delete its imported material (DeleteImportedKeyMaterial)",
        _ => fate.ToString(),
    };
}
