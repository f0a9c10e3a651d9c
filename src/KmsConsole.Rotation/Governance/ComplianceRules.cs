using Amazon.KeyManagementService;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// What one kind of rule means: which keys it speaks of, how it judges one, its bounds on N, the workflows that may
/// remedy it and which one fits a given key. One class per kind; <see cref="ComplianceRules"/> lists them.
/// </summary>
public abstract class ComplianceRule
{
    public abstract PolicyRuleKind Kind { get; }

    /// <summary>The rule as a sentence with its number of days ("Automatic rotation on, every 365 days or less").</summary>
    public abstract string Describe(int days);

    /// <summary>The bounds on the rule's number of days; null when it takes none.</summary>
    public abstract DayRange? Days { get; }

    /// <summary>The workflows a policy of this kind may name as its remedy (empty: the rule only flags).</summary>
    public abstract IReadOnlyList<WorkflowKind> Remedies { get; }

    /// <summary>The verdict on a key in the policy's scope whose details were read.</summary>
    public abstract Verdict Judge(KeySnapshot key, int days, DateTimeOffset now);

    /// <summary>
    /// The workflow a campaign runs on this key: the policy's remedy where it is one for keys of this kind; for some rules
    /// another one fits the key better (its origin, whether its material is escrowed). Null when nothing remedies it.
    /// </summary>
    public virtual WorkflowKind? RemedyFor(KeySnapshot key, PolicyRule rule, bool escrowed) => rule.Remedy;

    protected static bool IsUsable(KeySnapshot key) => key.KeyState == KeyState.Enabled.Value || key.KeyState == KeyState.Disabled.Value;

    protected static string Day(DateTimeOffset date) => date.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The rules the console knows, by kind.</summary>
public static class ComplianceRules
{
    public static IReadOnlyList<ComplianceRule> All { get; } =
    [
        new AutomaticRotationRule(),
        new MaterialExpiryRule(),
        new MaterialAgeRule(),
        new KeyAgeRule(),
        new KeyStateReviewRule(),
    ];

    private static readonly Dictionary<PolicyRuleKind, ComplianceRule> ByKind = All.ToDictionary(r => r.Kind);

    public static ComplianceRule For(PolicyRuleKind kind) => ByKind[kind];
}

/// <summary>KMS.4 with a period: customer managed symmetric AWS_KMS keys rotate automatically, at most every N days.</summary>
internal sealed class AutomaticRotationRule : ComplianceRule
{
    public override PolicyRuleKind Kind => PolicyRuleKind.AutomaticRotation;

    public override string Describe(int days) => $"Automatic rotation on, every {days} days or less";

    public override DayRange? Days => WorkflowBounds.RotationPeriod;

    public override IReadOnlyList<WorkflowKind> Remedies => [WorkflowKind.EnableAutomaticRotation];

    public override Verdict Judge(KeySnapshot key, int days, DateTimeOffset now)
    {
        // KMS rotates only symmetric encryption keys with KMS-made material automatically; AWS managed keys rotate yearly by themselves.
        if (key.Origin != OriginType.AWS_KMS.Value || key.KeySpec != KeySpec.SYMMETRIC_DEFAULT.Value || key.KeyManager == KeyManagerType.AWS.Value)
        {
            return Verdict.NotApplicable("automatic rotation applies to customer managed symmetric keys of origin AWS_KMS");
        }

        if (!IsUsable(key))
        {
            return Verdict.NotApplicable($"the key is {key.KeyState}");
        }

        if (!key.RotationEnabled)
        {
            return Verdict.BrokenSinceSeen("automatic rotation is off");
        }

        var period = key.RotationPeriodInDays ?? WorkflowBounds.DefaultRotationPeriodInDays;
        return period > days
            ? Verdict.BrokenSinceSeen($"rotates every {period} days; the policy asks every {days} days or less")
            : Verdict.Compliant($"rotates every {period} days", key.NextRotationDate);
    }
}

/// <summary>Imported material must not expire within D days (AWS never shipped a Config rule for it).</summary>
internal sealed class MaterialExpiryRule : ComplianceRule
{
    public override PolicyRuleKind Kind => PolicyRuleKind.MaterialExpiry;

    public override string Describe(int days) => $"Imported material does not expire within {days} days";

    public override DayRange? Days { get; } = new("The days before expiry", 1, WorkflowBounds.MaxValidToDays, "ImportKeyMaterial");

    public override IReadOnlyList<WorkflowKind> Remedies => [WorkflowKind.ReimportBeforeExpiry, WorkflowKind.NewMaterialInPlace, WorkflowKind.AliasSwapImportedKey];

    public override Verdict Judge(KeySnapshot key, int days, DateTimeOffset now)
    {
        if (key.Origin != OriginType.EXTERNAL.Value)
        {
            return Verdict.NotApplicable("only imported keys (origin EXTERNAL) have material that expires");
        }

        if (key.ExpirationModel == ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE.Value)
        {
            return Verdict.Compliant("the material does not expire");
        }

        if (key.ValidTo is not { } validTo)
        {
            return Verdict.NotApplicable($"the key is {key.KeyState} with no material that expires");
        }

        if (key.KeyState == KeyState.PendingImport.Value || validTo <= now)
        {
            return Verdict.Broken($"the material expired on {Day(validTo)}", validTo, validTo);
        }

        var warnFrom = validTo.AddDays(-days);
        return warnFrom <= now
            ? Verdict.Broken($"the material expires on {Day(validTo)}, within {days} days", warnFrom, validTo)
            : Verdict.Compliant($"the material expires on {Day(validTo)}", warnFrom);
    }

    /// <summary>Re-importing the same material needs the escrowed copy; without one, new material (in place, or a new key) is the remedy.</summary>
    public override WorkflowKind? RemedyFor(KeySnapshot key, PolicyRule rule, bool escrowed) =>
        rule.Remedy == WorkflowKind.ReimportBeforeExpiry && !escrowed ? WorkflowKind.NewMaterialInPlace : rule.Remedy;
}

/// <summary>Imported keys get new material at least every N days (rotation of imported keys on demand, since 2025).</summary>
internal sealed class MaterialAgeRule : ComplianceRule
{
    public override PolicyRuleKind Kind => PolicyRuleKind.MaterialAge;

    public override string Describe(int days) => $"Imported keys get new material at least every {days} days";

    public override DayRange? Days { get; } = new("The material's age", 1, 3650, "RotateKeyOnDemand");

    public override IReadOnlyList<WorkflowKind> Remedies => [WorkflowKind.NewMaterialInPlace];

    public override Verdict Judge(KeySnapshot key, int days, DateTimeOffset now)
    {
        if (key.Origin != OriginType.EXTERNAL.Value || key.KeySpec != KeySpec.SYMMETRIC_DEFAULT.Value)
        {
            return Verdict.NotApplicable("only symmetric imported keys (origin EXTERNAL) take new material in place");
        }

        if (!IsUsable(key))
        {
            return Verdict.NotApplicable($"the key is {key.KeyState}");
        }

        // The inventory knows the last rotation; a key never rotated still has the material it was created for.
        var since = key.LastRotationDate ?? key.CreationDate;
        var due = since.AddDays(days);
        return due <= now
            ? Verdict.Broken($"the material dates from {Day(since)}, {(int)(now - since).TotalDays} days ago; the policy asks every {days} days", due, due)
            : Verdict.Compliant($"the material dates from {Day(since)}", due);
    }
}

/// <summary>A key older than N days is replaced by a new key behind its alias (alias swap).</summary>
internal sealed class KeyAgeRule : ComplianceRule
{
    public override PolicyRuleKind Kind => PolicyRuleKind.KeyAge;

    public override string Describe(int days) => $"Keys are replaced once older than {days} days";

    public override DayRange? Days { get; } = new("The key's age", 1, 36500, "CreateKey");

    public override IReadOnlyList<WorkflowKind> Remedies => [WorkflowKind.AliasSwapNewKey, WorkflowKind.AliasSwapImportedKey];

    public override Verdict Judge(KeySnapshot key, int days, DateTimeOffset now)
    {
        if (key.Origin != OriginType.AWS_KMS.Value && key.Origin != OriginType.EXTERNAL.Value || key.KeyManager == KeyManagerType.AWS.Value)
        {
            return Verdict.NotApplicable("an alias swap replaces customer managed keys of origin AWS_KMS or EXTERNAL");
        }

        if (!IsUsable(key))
        {
            return Verdict.NotApplicable($"the key is {key.KeyState}");
        }

        var due = key.CreationDate.AddDays(days);
        return due <= now
            ? Verdict.Broken($"created {Day(key.CreationDate)}, {(int)(now - key.CreationDate).TotalDays} days ago; the policy replaces keys older than {days} days", due, due)
            : Verdict.Compliant($"created {Day(key.CreationDate)}", due);
    }

    /// <summary>An imported key is replaced by a new imported key, a KMS key by a new KMS key.</summary>
    public override WorkflowKind? RemedyFor(KeySnapshot key, PolicyRule rule, bool escrowed) =>
        key.Origin == OriginType.EXTERNAL.Value ? WorkflowKind.AliasSwapImportedKey : WorkflowKind.AliasSwapNewKey;
}

/// <summary>Keys pending deletion or disabled are flagged for review; nothing remedies them automatically.</summary>
internal sealed class KeyStateReviewRule : ComplianceRule
{
    public override PolicyRuleKind Kind => PolicyRuleKind.KeyStateReview;

    public override string Describe(int days) => "Keys pending deletion or disabled are flagged for review";

    public override DayRange? Days => null;

    public override IReadOnlyList<WorkflowKind> Remedies => [];

    public override Verdict Judge(KeySnapshot key, int days, DateTimeOffset now) =>
        key.KeyState == KeyState.PendingDeletion.Value || key.KeyState == KeyState.Disabled.Value
            ? Verdict.BrokenSinceSeen($"the key is {key.KeyState}: review whether it is still needed")
            : Verdict.Compliant($"the key is {key.KeyState}");

    public override WorkflowKind? RemedyFor(KeySnapshot key, PolicyRule rule, bool escrowed) => null;
}
