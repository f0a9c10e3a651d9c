using System.Text.Json.Serialization;

namespace KmsConsole.LocalKms.Keys;

/// <summary>One KMS key: its metadata, policy, tags, rotation schedule and every key material it ever had.</summary>
public sealed class KmsKey
{
    public required string KeyId { get; init; }

    public required DateTimeOffset CreationDate { get; init; }

    public string Description { get; set; } = "";

    public required string KeyUsage { get; init; }

    public required string KeySpec { get; init; }

    public required string Origin { get; init; }

    /// <summary>CUSTOMER, or AWS for an AWS managed key (alias/aws/&lt;service&gt;).</summary>
    public string KeyManager { get; init; } = "CUSTOMER";

    /// <summary>What EnableKey/DisableKey last set; the key state also depends on deletion and imported material.</summary>
    public bool Enabled { get; set; } = true;

    public DateTimeOffset? DeletionDate { get; set; }

    public int? PendingWindowInDays { get; set; }

    public required string Policy { get; set; }

    public List<KmsTag> Tags { get; set; } = [];

    public bool RotationEnabled { get; set; }

    public int? RotationPeriodInDays { get; set; }

    public DateTimeOffset? NextRotationDate { get; set; }

    public int OnDemandRotationCount { get; set; }

    public List<KeyMaterialVersion> Materials { get; set; } = [];

    public List<KmsGrant> Grants { get; set; } = [];

    /// <summary>A multi-Region key (mrk- id); its set's primary Region and replica Regions are kept on every copy.</summary>
    public bool MultiRegion { get; set; }

    public string? PrimaryRegion { get; set; }

    public List<string> ReplicaRegions { get; set; } = [];

    /// <summary>True when this copy, held in <paramref name="region"/>, is a multi-Region replica (its primary is elsewhere).</summary>
    public bool IsReplicaIn(string region) => MultiRegion && PrimaryRegion is not null && PrimaryRegion != region;

    /// <summary>The last successful cryptographic operation (GetKeyLastUsage); stored apart from the key document.</summary>
    [JsonIgnore]
    public KeyLastUsage? LastUsage { get; set; }

    [JsonIgnore]
    public bool IsSymmetric => KeySpec == KeySpecs.SymmetricDefault;

    [JsonIgnore]
    public bool IsExternal => Origin == KeyOrigins.External;

    [JsonIgnore]
    public KeyMaterialVersion? CurrentMaterial => Materials.FirstOrDefault(m => m.State == KeyMaterialStates.Current);

    public KeyMaterialVersion? FindMaterial(string materialId) =>
        Materials.FirstOrDefault(m => string.Equals(m.MaterialId, materialId, StringComparison.OrdinalIgnoreCase));

    [JsonIgnore]
    public string State
    {
        get
        {
            if (DeletionDate is not null)
            {
                return KeyStates.PendingDeletion;
            }

            // A key with imported material is only usable while every material it depends on is present.
            if (IsExternal && (CurrentMaterial is null || Materials.Any(m => m.State != KeyMaterialStates.PendingRotation && m.ImportState == ImportStates.PendingImport)))
            {
                return KeyStates.PendingImport;
            }

            return Enabled ? KeyStates.Enabled : KeyStates.Disabled;
        }
    }
}

public sealed record KmsTag(string TagKey, string TagValue);

/// <summary>One successful cryptographic use of a key, as GetKeyLastUsage reports it.</summary>
public sealed record KeyLastUsage(string Operation, DateTimeOffset Timestamp, string CloudTrailEventId, string KmsRequestId);

/// <summary>One key material of a key. The secret itself lives only in memory and, sealed under the master key, in the database.</summary>
public sealed class KeyMaterialVersion
{
    public required string MaterialId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required string State { get; set; }

    /// <summary>When this material became current through a rotation (null for the key's first material).</summary>
    public DateTimeOffset? RotationDate { get; set; }

    public string? RotationType { get; set; }

    /// <summary>IMPORTED or PENDING_IMPORT for keys with imported material; null for AWS_KMS keys.</summary>
    public string? ImportState { get; set; }

    public string? ExpirationModel { get; set; }

    public DateTimeOffset? ValidTo { get; set; }

    public string? Description { get; set; }

    [JsonIgnore]
    public byte[]? Secret { get; set; }
}

public sealed class KmsAlias
{
    public required string AliasName { get; init; }

    public required string TargetKeyId { get; set; }

    public required DateTimeOffset CreationDate { get; init; }

    public required DateTimeOffset LastUpdatedDate { get; set; }
}

public static class KeyStates
{
    public const string Enabled = "Enabled";
    public const string Disabled = "Disabled";
    public const string PendingDeletion = "PendingDeletion";
    public const string PendingImport = "PendingImport";
}

public static class KeyOrigins
{
    public const string AwsKms = "AWS_KMS";
    public const string External = "EXTERNAL";
}

public static class KeyMaterialStates
{
    public const string Current = "CURRENT";
    public const string NonCurrent = "NON_CURRENT";
    public const string PendingRotation = "PENDING_ROTATION";
}

public static class ImportStates
{
    public const string Imported = "IMPORTED";
    public const string PendingImport = "PENDING_IMPORT";
}

public static class ExpirationModels
{
    public const string Expires = "KEY_MATERIAL_EXPIRES";
    public const string DoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE";
}

public static class RotationTypes
{
    public const string Automatic = "AUTOMATIC";
    public const string OnDemand = "ON_DEMAND";
}
