using KmsConsole.Rotation;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Shared;

namespace KmsConsole.Web.Components.Keys;

/// <summary>
/// What the request form holds, and the same limits the KMS API enforces (<see cref="WorkflowBounds"/>, which the
/// preflight reads too), so bad input is refused at the field before anything is sent (the Rotation services check
/// again on submit). Which fields show is the chosen workflow's definition's say (<see cref="WorkflowDefinition.Inputs"/>).
/// </summary>
public sealed class RotationRequestForm
{
    public static string KeyMaterialExpires => RotationParameters.KeyMaterialExpires;
    public static string KeyMaterialDoesNotExpire => RotationParameters.KeyMaterialDoesNotExpire;

    public static IReadOnlyList<string> WrappingAlgorithms => WorkflowBounds.WrappingAlgorithms;

    /// <summary>The catalog the workflow is looked up in (the console's services hand theirs).</summary>
    public WorkflowDefinitions Definitions { get; init; } = WorkflowDefinitions.BuiltIn;

    public WorkflowKind? Workflow { get; set; }
    public int? RotationPeriodInDays { get; set; } = WorkflowBounds.DefaultRotationPeriodInDays;
    public bool RotateNow { get; set; }
    public OldKeyFate OldKeyFate { get; set; } = OldKeyFate.Keep;
    public int? PendingWindowInDays { get; set; } = WorkflowBounds.DefaultPendingWindowInDays;
    public string WrappingAlgorithm { get; set; } = RotationParameters.OaepSha256;
    public string ExpirationModel { get; set; } = RotationParameters.KeyMaterialDoesNotExpire;
    public DateTime? ValidToDate { get; set; }
    public string Justification { get; set; } = string.Empty;

    /// <summary>The chosen workflow's definition; null until one is chosen.</summary>
    public WorkflowDefinition? Definition => Workflow is { } kind ? Definitions.Find(kind) : null;

    private bool Takes(WorkflowInputs input) => Definition?.Takes(input) == true;

    public bool UsesRotationPeriod => Takes(WorkflowInputs.RotationPeriod);

    public bool UsesRotateNow => Takes(WorkflowInputs.RotateNow);

    public bool UsesOldKeyFate => Takes(WorkflowInputs.OldKeyFate);

    public bool UsesPendingWindow => UsesOldKeyFate && OldKeyFate is OldKeyFate.ScheduleDeletion or OldKeyFate.StagedRetirement;

    public bool UsesImport => Takes(WorkflowInputs.MaterialExpiry);

    public bool UsesWrappingAlgorithm => Takes(WorkflowInputs.WrappingAlgorithm);

    public bool UsesValidTo => UsesImport && ExpirationModel == KeyMaterialExpires;

    /// <summary>The old key's fates the workflow offers (imported material can be deleted only from an EXTERNAL key).</summary>
    public IReadOnlyList<OldKeyFate> OldKeyFates => Definition?.OldKeyFates ?? [];

    public static string? ValidateRotationPeriod(int? days) =>
        days is null ? "Enter the rotation period in days."
        : !WorkflowBounds.RotationPeriod.Contains(days.Value) ? WorkflowBounds.RotationPeriod.Rule + "."
        : null;

    public static string? ValidatePendingWindow(int? days) =>
        days is null ? "Enter the waiting period in days."
        : !WorkflowBounds.PendingWindow.Contains(days.Value) ? WorkflowBounds.PendingWindow.Rule + "."
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

        return validTo > now.AddDays(WorkflowBounds.MaxValidToDays) ? $"The expiry can be at most {WorkflowBounds.MaxValidToDays} days from now." : null;
    }

    public static string? ValidateWrappingAlgorithm(string? algorithm) =>
        algorithm is not null && WrappingAlgorithms.Contains(algorithm) ? null : "Choose RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.";

    public static string? ValidateJustification(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "A justification is required: say why this key is rotated." : FreeText.TooLong(text);

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
        RotateNow = UsesRotateNow && RotateNow,
        OldKeyFate = UsesOldKeyFate ? OldKeyFate : OldKeyFate.Keep,
        PendingWindowInDays = UsesPendingWindow ? PendingWindowInDays : null,
        WrappingAlgorithm = UsesWrappingAlgorithm ? WrappingAlgorithm : RotationParameters.OaepSha256,
        ExpirationModel = UsesImport ? ExpirationModel : KeyMaterialDoesNotExpire,
        ValidTo = UsesValidTo && ValidToDate is { } date ? ToValidTo(date) : null,
    };

    public static string DescribeFate(OldKeyFate fate) => fate switch
    {
        OldKeyFate.Keep => "Keep it enabled",
        OldKeyFate.Disable => "Disable it (DisableKey)",
        OldKeyFate.ScheduleDeletion => "Schedule its deletion (ScheduleKeyDeletion)",
        OldKeyFate.DeleteImportedMaterial => "Delete its imported material (DeleteImportedKeyMaterial)",
        OldKeyFate.StagedRetirement => "Retire it in stages: disable, watch, then schedule its deletion",
        _ => fate.ToString(),
    };
}
