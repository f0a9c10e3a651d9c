using System.Security.Cryptography;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Protocol;
using KmsConsole.LocalKms.Storage;

namespace KmsConsole.LocalKms.Keys;

/// <summary>
/// Every key and alias of the endpoint, in memory, written through to the database on each change.
/// All reads and changes happen under <see cref="Gate"/>; time-driven changes (automatic rotation,
/// material expiry, end of a deletion window) are applied whenever a key is touched and by a periodic sweep.
/// </summary>
public sealed class KeyRing(KmsDatabase database, string region, string accountId, object? gate = null)
{
    private readonly Dictionary<string, KmsKey> _keys = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, KmsAlias> _aliases = new(StringComparer.Ordinal);

    // Keys whose last use is newer in memory than in the database (see RecordUsage).
    private readonly HashSet<KmsKey> _unsavedUsage = [];

    // The earliest moment a sweep has anything to do (UTC ticks); MinValue means "unknown, sweep".
    private long _nextDueTicks = long.MinValue;

    /// <summary>Shared by every Region's ring of one endpoint (see <see cref="RegionalKeyRings"/>).</summary>
    public object Gate { get; } = gate ?? new();

    /// <summary>The endpoint's other Regions, for keeping multi-Region keys in step; null for a lone ring.</summary>
    public RegionalKeyRings? Regions { get; set; }

    /// <summary>
    /// Runs slow work that touches no shared state (RSA key generation) with the gate released, so other requests
    /// are not held up; the caller holds the gate before and after. State read before may have changed afterwards.
    /// </summary>
    public T OutsideGate<T>(Func<T> work)
    {
        var held = Monitor.IsEntered(Gate);
        if (held)
        {
            Monitor.Exit(Gate);
        }

        try
        {
            return work();
        }
        finally
        {
            if (held)
            {
                Monitor.Enter(Gate);
            }
        }
    }

    public string Region => region;

    public string AccountId => accountId;

    public KmsDatabase Database => database;

    public void Load()
    {
        var (keys, aliases) = database.LoadAll();
        foreach (var key in keys)
        {
            _keys[key.KeyId] = key;
        }

        foreach (var alias in aliases)
        {
            _aliases[alias.AliasName] = alias;
        }

        foreach (var (keyId, usage) in database.LoadLastUsage(region))
        {
            if (_keys.TryGetValue(keyId, out var key))
            {
                key.LastUsage = usage;
            }
        }
    }

    /// <summary>
    /// Records a key's last successful use in memory; <see cref="FlushUsage"/> writes it. Cryptographic calls thus write
    /// nothing on their own: the endpoint flushes every second and when it stops. Call under the gate.
    /// </summary>
    public void RecordUsage(KmsKey key, KeyLastUsage usage)
    {
        key.LastUsage = usage;
        _unsavedUsage.Add(key);
    }

    /// <summary>Writes the last uses recorded since the previous flush, for keys that still exist. Call under the gate.</summary>
    public void FlushUsage()
    {
        if (_unsavedUsage.Count == 0)
        {
            return;
        }

        database.SaveLastUsage(region, _unsavedUsage.Where(key => _keys.TryGetValue(key.KeyId, out var current) && ReferenceEquals(current, key)));
        _unsavedUsage.Clear();
    }

    public string KeyArn(string keyId) => $"arn:aws:kms:{region}:{accountId}:key/{keyId}";

    public string AliasArn(string aliasName) => $"arn:aws:kms:{region}:{accountId}:{aliasName}";

    public IEnumerable<KmsKey> Keys => _keys.Values.OrderBy(k => k.CreationDate).ThenBy(k => k.KeyId, StringComparer.Ordinal);

    public IEnumerable<KmsAlias> Aliases => _aliases.Values;

    public KmsAlias? FindAlias(string aliasName) => _aliases.GetValueOrDefault(aliasName);

    public IEnumerable<KmsAlias> AliasesOf(string keyId) => _aliases.Values.Where(a => a.TargetKeyId == keyId);

    public void Add(KmsKey key)
    {
        _keys[key.KeyId] = key;
        database.SaveKey(key);
        ForgetNextDue();
    }

    public void Save(KmsKey key)
    {
        database.SaveKey(key);
        Regions?.Share(this, key);
        ForgetNextDue();
    }

    /// <summary>False when a sweep at <paramref name="now"/> would certainly change nothing; safe to call without the gate.</summary>
    public bool AnythingDue(DateTimeOffset now) => now.UtcTicks >= Interlocked.Read(ref _nextDueTicks);

    public void SaveAlias(KmsAlias alias)
    {
        _aliases[alias.AliasName] = alias;
        database.SaveAlias(alias);
    }

    public void RemoveAlias(string aliasName)
    {
        _aliases.Remove(aliasName);
        database.DeleteAlias(aliasName);
    }

    /// <summary>
    /// Finds the key a KeyId parameter names: a key id or key ARN, and where the operation accepts them
    /// an alias name or alias ARN. Applies due time-driven changes first.
    /// </summary>
    public KmsKey Resolve(string keyIdentifier, DateTimeOffset now, bool aliasesAccepted)
    {
        var keyId = keyIdentifier;
        if (keyIdentifier.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = keyIdentifier.Split(':', 6);
            if (parts.Length != 6 || parts[1] != "aws" || parts[2] != "kms" || parts[3].Length == 0 || parts[4].Length == 0)
            {
                throw KmsErrors.InvalidArn($"Invalid arn {keyIdentifier}");
            }

            if (parts[4] != accountId)
            {
                throw KmsErrors.NotFound($"Key '{keyIdentifier}' does not exist");
            }

            // AWS's answer for an ARN of another Region (LocalStack's AWS-recorded test_get_key_in_different_region).
            if (parts[3] != region)
            {
                throw KmsErrors.NotFound($"Invalid arn {parts[3]}");
            }

            if (parts[5].StartsWith("alias/", StringComparison.Ordinal))
            {
                return ResolveAlias(parts[5], keyIdentifier, now, aliasesAccepted);
            }

            if (!parts[5].StartsWith("key/", StringComparison.Ordinal))
            {
                throw KmsErrors.InvalidArn($"Invalid arn {keyIdentifier}");
            }

            keyId = parts[5]["key/".Length..];
        }
        else if (keyIdentifier.StartsWith("alias/", StringComparison.Ordinal))
        {
            return ResolveAlias(keyIdentifier, keyIdentifier, now, aliasesAccepted);
        }

        // A bare id that is neither a key id nor an mrk- id is "Invalid keyId '<id>'" (LocalStack's AWS-recorded test_get_key_invalid_uuid).
        if (ReferenceEquals(keyId, keyIdentifier) && !IsKeyIdShape(keyId))
        {
            throw KmsErrors.NotFound($"Invalid keyId '{keyIdentifier}'");
        }

        var key = _keys.GetValueOrDefault(keyId);
        if (key is null || !ApplyTime(key, now))
        {
            throw KmsErrors.NotFound($"Key '{KeyArn(keyId)}' does not exist");
        }

        return key;
    }

    /// <summary>A key id (a UUID with dashes) or a multi-Region key id (mrk- and 32 hex digits).</summary>
    public static bool IsKeyIdShape(string keyId) =>
        (keyId.Length == 36 && Guid.TryParseExact(keyId, "D", out _))
        || (keyId.Length == 36 && keyId.StartsWith("mrk-", StringComparison.Ordinal) && keyId[4..].All(Uri.IsHexDigit));

    /// <summary>The key by id as it stands, without applying time-driven changes (for read-only checks such as authorization).</summary>
    public KmsKey? Peek(string keyId) => _keys.GetValueOrDefault(keyId);

    /// <summary>The key by id, after due time-driven changes; null when it does not (or no longer) exist.</summary>
    public KmsKey? Find(string keyId, DateTimeOffset now)
    {
        var key = _keys.GetValueOrDefault(keyId);
        return key is not null && ApplyTime(key, now) ? key : null;
    }

    /// <summary>Applies every due time-driven change to every key.</summary>
    public void Sweep(DateTimeOffset now)
    {
        var nextDue = DateTimeOffset.MaxValue;
        foreach (var key in _keys.Values.ToList())
        {
            if (ApplyTime(key, now) && NextDue(key) is { } due && due < nextDue)
            {
                nextDue = due;
            }
        }

        Interlocked.Exchange(ref _nextDueTicks, nextDue.UtcTicks);
    }

    private void ForgetNextDue() => Interlocked.Exchange(ref _nextDueTicks, long.MinValue);

    private static DateTimeOffset? NextDue(KmsKey key)
    {
        DateTimeOffset? due = key.DeletionDate;
        if (key.RotationEnabled && key.NextRotationDate is { } rotation && (due is null || rotation < due))
        {
            due = rotation;
        }

        foreach (var material in key.Materials)
        {
            if (material.ImportState == ImportStates.Imported && material.ValidTo is { } validTo && (due is null || validTo < due))
            {
                due = validTo;
            }
        }

        return due;
    }

    /// <summary>Adds fresh AWS-generated material and makes it current.</summary>
    public KeyMaterialVersion RotateToGeneratedMaterial(KmsKey key, DateTimeOffset rotationDate, string rotationType)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var material = new KeyMaterialVersion
        {
            MaterialId = KeyMaterialIds.Derive(key.KeyId, secret),
            CreatedAt = rotationDate,
            State = KeyMaterialStates.Current,
            RotationDate = rotationDate,
            RotationType = rotationType,
            Secret = secret,
        };
        MakeCurrent(key, material);
        return material;
    }

    public static void MakeCurrent(KmsKey key, KeyMaterialVersion material)
    {
        foreach (var other in key.Materials.Where(m => m.State == KeyMaterialStates.Current))
        {
            other.State = KeyMaterialStates.NonCurrent;
        }

        material.State = KeyMaterialStates.Current;
        if (!key.Materials.Contains(material))
        {
            key.Materials.Add(material);
        }
    }

    /// <returns>false when the key's deletion window ended and it is gone.</returns>
    private bool ApplyTime(KmsKey key, DateTimeOffset now)
    {
        Regions?.CatchUpWithPrimary(this, key, now);
        if (key.DeletionDate is { } deletionDate && deletionDate <= now)
        {
            _keys.Remove(key.KeyId);
            Regions?.Forget(this, key);
            foreach (var alias in AliasesOf(key.KeyId).ToList())
            {
                _aliases.Remove(alias.AliasName);
            }

            database.DeleteKey(key.KeyId);
            return false;
        }

        var changed = false;
        foreach (var material in key.Materials)
        {
            // Expired imported material is deleted by KMS; the key needs the same material re-imported.
            if (material.ImportState == ImportStates.Imported && material.ExpirationModel == ExpirationModels.Expires && material.ValidTo <= now)
            {
                ForgetSecret(material);
                changed = true;
            }
        }

        // A replica never rotates itself: it takes the new material from its primary.
        if (key.RotationEnabled && key.DeletionDate is null && key.State == KeyStates.Enabled && !key.IsReplicaIn(region)
            && key.NextRotationDate is { } next && key.RotationPeriodInDays is { } period)
        {
            var rotations = 0;
            while (next <= now && rotations++ < 1000)
            {
                RotateToGeneratedMaterial(key, next, RotationTypes.Automatic);
                next = next.AddDays(period);
            }

            key.NextRotationDate = next;
            changed |= rotations > 0;
        }

        if (changed)
        {
            database.SaveKey(key);
            Regions?.Share(this, key);
        }

        return true;
    }

    public static void ForgetSecret(KeyMaterialVersion material)
    {
        if (material.Secret is not null)
        {
            ParsedKeys.Forget(material.Secret);
            CryptographicOperations.ZeroMemory(material.Secret);
        }

        material.Secret = null;
        material.ImportState = ImportStates.PendingImport;
    }

    private KmsKey ResolveAlias(string aliasName, string identifier, DateTimeOffset now, bool aliasesAccepted)
    {
        if (!aliasesAccepted)
        {
            throw identifier.StartsWith("arn:", StringComparison.Ordinal)
                ? KmsErrors.InvalidArn("Key Aliases are not supported for this operation.")
                : KmsErrors.NotFound($"Invalid keyId {identifier}");
        }

        var alias = _aliases.GetValueOrDefault(aliasName);
        if (alias is null && AwsManagedKeys.IsManagedAlias(aliasName))
        {
            return AwsManagedKeys.Create(this, aliasName, now);
        }

        var key = alias is null ? null : Find(alias.TargetKeyId, now);
        return key ?? throw KmsErrors.NotFound($"Alias {AliasArn(aliasName)} is not found.");
    }
}
