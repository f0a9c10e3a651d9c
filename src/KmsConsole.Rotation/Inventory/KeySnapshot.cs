namespace KmsConsole.Rotation;

/// <summary>The inventory cache row of one key, as the last sync saw it.</summary>
public sealed class KeySnapshot
{
    public string Target { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string Arn { get; set; } = "";
    /// <summary>Alias names, comma separated (searchable in SQL).</summary>
    public string Aliases { get; set; } = "";
    public string Origin { get; set; } = "";
    public string KeySpec { get; set; } = "";
    public string KeyUsage { get; set; } = "";
    public string KeyState { get; set; } = "";
    public string Description { get; set; } = "";
    public bool RotationEnabled { get; set; }
    public int? RotationPeriodInDays { get; set; }
    public DateTimeOffset? NextRotationDate { get; set; }
    public DateTimeOffset? LastRotationDate { get; set; }

    /// <summary>
    /// DescribeKey's CurrentKeyMaterialId (symmetric keys): a rotation changes it, so a sync that finds it unchanged keeps
    /// <see cref="LastRotationDate"/> without asking ListKeyRotations (100 a second) again.
    /// </summary>
    public string? CurrentKeyMaterialId { get; set; }
    public DateTimeOffset? ValidTo { get; set; }
    public string? ExpirationModel { get; set; }
    public DateTimeOffset CreationDate { get; set; }

    /// <summary>AWS or CUSTOMER (<see cref="Amazon.KeyManagementService.KeyManagerType"/>).</summary>
    public string KeyManager { get; set; } = "";

    /// <summary>The key's tags; null when the last read could not list them (a policy scoped by tags cannot judge the key then).</summary>
    public Dictionary<string, string>? Tags { get; set; }

    /// <summary>The last sync that listed the key (read or not).</summary>
    public DateTimeOffset SyncedAt { get; set; }

    /// <summary>When the details above (origin, state, rotation, ...) were last read; null when they never could be.</summary>
    public DateTimeOffset? DetailsReadAt { get; set; }

    /// <summary>The AWS error code of the last sync's failed read of this key (e.g. AccessDeniedException); null when it was read.</summary>
    public string? ReadErrorCode { get; set; }

    /// <summary>The AWS error message of that failed read, as AWS wrote it.</summary>
    public string? ReadErrorMessage { get; set; }

    public DateTimeOffset? ReadErrorAt { get; set; }

    public bool CouldNotRead => ReadErrorCode is not null;

    /// <summary>The last tracked cryptographic use (GetKeyLastUsage's Operation); null when none is recorded or it could not be read.</summary>
    public string? LastUsedOperation { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>From when KMS recorded the key's use (GetKeyLastUsage's TrackingStartDate); null when it could not be read.</summary>
    public DateTimeOffset? UsageTrackingStartDate { get; set; }

    /// <summary>AWS's error code of the last sync's failed GetKeyLastUsage; null when the usage was read.</summary>
    public string? LastUseErrorCode { get; set; }

    public string? LastUseErrorMessage { get; set; }

    /// <summary>
    /// When the last use was read (GetKeyLastUsage has a quota of its own, 5 a second: <see cref="KeyLastUseReader"/> reads it
    /// apart from the sync, oldest first); null until it is.
    /// </summary>
    public DateTimeOffset? LastUseReadAt { get; set; }

    /// <summary>The key's last use as it was last read.</summary>
    public Safety.KeyLastUse LastUse => new(LastUsedOperation, LastUsedAt, UsageTrackingStartDate, CreationDate, LastUseErrorCode, LastUseErrorMessage);

    /// <summary>Takes the last use <paramref name="read"/> answered, read at <paramref name="at"/>.</summary>
    public void SetLastUse(Safety.KeyLastUse read, DateTimeOffset? at)
    {
        LastUsedOperation = read.Operation;
        LastUsedAt = read.UsedAt;
        UsageTrackingStartDate = read.TrackingStartDate;
        LastUseErrorCode = read.ErrorCode;
        LastUseErrorMessage = read.ErrorMessage;
        LastUseReadAt = at;
    }

    /// <summary>The details shown come from an earlier sync than the last one, which could not read the key.</summary>
    public bool DetailsAreStale => CouldNotRead && DetailsReadAt is not null;
}

/// <summary>What a workflow needs to know about a key to decide whether it fits.</summary>
public sealed record KeySummary(
    string Target,
    string KeyId,
    string Arn,
    IReadOnlyList<string> Aliases,
    string Origin,
    string KeySpec,
    string KeyUsage,
    string KeyState,
    string Description,
    string? ExpirationModel,
    DateTimeOffset? ValidTo);

public enum KeySortField
{
    Alias,
    KeyId,
    Origin,
    KeyState,
    NextRotationDate,
    LastRotationDate,
    ValidTo,
    CreationDate,
}

public sealed record KeyQuery
{
    public string? Target { get; init; }
    public string? Search { get; init; }
    public string? Origin { get; init; }
    public string? KeyState { get; init; }
    public bool? RotationEnabled { get; init; }
    public int? ExpiringWithinDays { get; init; }

    /// <summary>Only keys with no recorded use for this many days (GetKeyLastUsage), whose usage could be read.</summary>
    public int? UnusedForDays { get; init; }

    /// <summary>Only imported keys whose material expired (pending import, with the expiry KMS still names for its material).</summary>
    public bool MaterialExpired { get; init; }

    /// <summary>Only keys the last sync could not read (true), or only keys it read (false).</summary>
    public bool? CouldNotRead { get; init; }
    public KeySortField SortBy { get; init; } = KeySortField.Alias;
    public bool Descending { get; init; }
    public int Page { get; init; }
    public int PageSize { get; init; } = 25;
}

public sealed record KeyTag(string Key, string Value);

public sealed record KeyRotationEntry(
    DateTimeOffset? RotationDate,
    string? RotationType,
    string? KeyMaterialId,
    string? KeyMaterialState,
    string? ImportState,
    string? ExpirationModel,
    DateTimeOffset? ValidTo);

/// <summary>A key read live from KMS.</summary>
public sealed record KeyDetail(
    KeySummary Summary,
    DateTimeOffset CreationDate,
    bool RotationEnabled,
    int? RotationPeriodInDays,
    DateTimeOffset? NextRotationDate,
    IReadOnlyList<KeyRotationEntry> Rotations,
    IReadOnlyList<KeyTag> Tags)
{
    /// <summary>The key's last use, read live with the rest (GetKeyLastUsage).</summary>
    public Safety.KeyLastUse? LastUse { get; init; }

    public string Target => Summary.Target;
    public string KeyId => Summary.KeyId;
    public string Arn => Summary.Arn;
    public IReadOnlyList<string> Aliases => Summary.Aliases;
    public string Origin => Summary.Origin;
    public string KeySpec => Summary.KeySpec;
    public string KeyUsage => Summary.KeyUsage;
    public string KeyState => Summary.KeyState;
    public string Description => Summary.Description;
    public string? ExpirationModel => Summary.ExpirationModel;
    public DateTimeOffset? ValidTo => Summary.ValidTo;
}

public sealed record InventorySyncProgress(string Target, int Done, int Total);

/// <summary>A key a sync listed but could not read, with AWS's error code and message.</summary>
public sealed record UnreadableKey(string Target, string KeyId, string ErrorCode, string ErrorMessage);

/// <summary>One target's sync: keys read, keys that could not be read, keys deleted between listing and reading.</summary>
public sealed record TargetSyncResult(string Target, int KeysRead, IReadOnlyList<UnreadableKey> Unreadable, int KeysGone);

public sealed record InventorySyncResult(IReadOnlyList<TargetSyncResult> Targets)
{
    public int KeysRead => Targets.Sum(t => t.KeysRead);

    public IReadOnlyList<UnreadableKey> Unreadable => Targets.SelectMany(t => t.Unreadable).ToList();

    /// <summary>"12 keys read, 1 could not be read".</summary>
    public string Summary => $"{KeysRead} {(KeysRead == 1 ? "key" : "keys")} read, {Unreadable.Count} could not be read";
}

public sealed record WeekCount(DateTimeOffset WeekStart, int Rotations, int Expiries);

public sealed record DashboardCounts(
    int KeysWithoutRotation,
    int RotationDueWithin30Days,
    int MaterialExpiringWithin30Days,
    int MaterialExpired,
    int RunsAwaitingApproval,
    int RunsFailed,
    IReadOnlyList<WeekCount> Upcoming,
    IReadOnlyList<KeyTotal> KeysByTarget,
    IReadOnlyList<KeyTotal> KeysByOrigin);

/// <summary>The keys of one target, or of one origin (AWS_KMS, EXTERNAL, AWS_CLOUDHSM, EXTERNAL_KEY_STORE).</summary>
public sealed record KeyTotal(string Name, int Keys);
