using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation;

/// <summary>The key list: a snapshot table synced from every target, queried server-side; key detail read live.</summary>
public sealed class KeyInventory
{
    private readonly RotationStore _store;
    private readonly IKmsClientFactory _clients;
    private readonly IStepErrorPolicy _errors;
    private readonly RotationOptions _options;
    private readonly SingleFlight<InventorySyncProgress, TargetSyncResult> _syncs = new();
    private readonly Governance.ComplianceEvaluation? _compliance;

    internal KeyInventory(RotationStore store, IKmsClientFactory clients, IStepErrorPolicy errors, IOptions<RotationOptions> options,
        Governance.ComplianceEvaluation? compliance = null)
    {
        _compliance = compliance;
        _store = store;
        _clients = clients;
        _errors = errors;
        _options = options.Value;
    }

    /// <summary>
    /// Re-reads every target's keys into the snapshot table. One sync per target runs at a time in this process:
    /// a caller who asks while a target is being read joins that sync (its progress and its result) instead of
    /// starting a second pass over the same keys. A key KMS deleted meanwhile is dropped; a key KMS refuses to
    /// describe stays listed with its AWS error and whatever an earlier sync knew of it.
    /// </summary>
    public Task<InventorySyncResult> SyncAsync(IProgress<InventorySyncProgress>? progress, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => SyncTargetsAsync(progress, cancellationToken), cancellationToken);

    private async Task<InventorySyncResult> SyncTargetsAsync(IProgress<InventorySyncProgress>? progress, CancellationToken cancellationToken)
    {
        var targets = new List<TargetSyncResult>();
        foreach (var target in _options.Targets)
        {
            targets.Add(await _syncs.RunAsync(target.Name, (shared, token) => SyncTargetAsync(target.Name, shared, token), progress, cancellationToken));
        }

        // Compliance answers follow every sync.
        if (_compliance is not null)
        {
            await _compliance.EvaluateAsync(cancellationToken);
        }

        return new InventorySyncResult(targets);
    }

    /// <summary>
    /// Pages through ListKeys and ListAliases and reads each key with a bounded number of calls in flight; the client
    /// paces each operation to its request quota (<see cref="Targets.RequestPacing"/>) and retries what is throttled anyway.
    /// </summary>
    private async Task<TargetSyncResult> SyncTargetAsync(string target, IProgress<InventorySyncProgress> progress, CancellationToken cancellationToken)
    {
        using var span = Telemetry.RotationTelemetry.Source.StartActivity("inventory sync");
        span?.SetTag(Telemetry.RotationTelemetry.TargetTag, target);
        var syncStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var kms = _clients.Create(target);
        var listed = new List<KeyListEntry>();
        string? marker = null;
        do
        {
            var page = await RetryAsync(() => kms.ListKeysAsync(new ListKeysRequest { Marker = marker, Limit = 100 }, cancellationToken), cancellationToken);
            listed.AddRange(page.Keys ?? []);
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        var aliases = new Dictionary<string, List<string>>();
        marker = null;
        do
        {
            var page = await RetryAsync(() => kms.ListAliasesAsync(new ListAliasesRequest { Marker = marker, Limit = 100 }, cancellationToken), cancellationToken);
            foreach (var alias in (page.Aliases ?? []).Where(a => a.TargetKeyId is not null))
            {
                (aliases.TryGetValue(alias.TargetKeyId, out var list) ? list : aliases[alias.TargetKeyId] = []).Add(alias.AliasName);
            }

            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        Dictionary<string, (string? MaterialId, DateTimeOffset? LastRotation)> known;
        await using (var db = await _store.ReadAsync(cancellationToken))
        {
            known = await db.KeySnapshots.AsNoTracking().Where(k => k.Target == target && k.CurrentKeyMaterialId != null)
                .ToDictionaryAsync(k => k.KeyId, k => (k.CurrentKeyMaterialId, k.LastRotationDate), cancellationToken);
        }

        progress.Report(new InventorySyncProgress(target, 0, listed.Count));
        var done = 0;
        var counting = new Lock();
        var reads = await ReadBoundedAsync(listed, async key =>
        {
            var keyAliases = aliases.GetValueOrDefault(key.KeyId) ?? [];
            var before = known.TryGetValue(key.KeyId, out var k) ? k : ((string?, DateTimeOffset?)?)null;
            var read = await TryReadAsync(key.KeyId, key.KeyArn, keyAliases,
                () => ReadSnapshotAsync(kms, target, key.KeyId, keyAliases, readTags: true, readLastUse: false, cancellationToken, before));

            // Counted and reported in one step, so reads ending together never report their counts out of order.
            lock (counting)
            {
                progress.Report(new InventorySyncProgress(target, ++done, listed.Count));
            }

            return read;
        }, cancellationToken);

        var now = _store.Time.GetUtcNow();
        await _store.WriteAsync(async (db, _) =>
        {
            var existing = await db.KeySnapshots.Where(k => k.Target == target).ToDictionaryAsync(k => k.KeyId, cancellationToken);
            foreach (var read in reads)
            {
                existing.Remove(read.KeyId, out var row);
                Save(db, target, row, read, now);
            }

            db.KeySnapshots.RemoveRange(existing.Values);
        }, cancellationToken);

        var keysRead = reads.Count(r => r is KeyRead.Read);
        var targetTag = new KeyValuePair<string, object?>(Telemetry.RotationTelemetry.TargetTag, target);
        Telemetry.RotationTelemetry.InventorySyncDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(syncStarted).TotalSeconds, targetTag);
        Telemetry.RotationTelemetry.InventoryKeysRead.Add(keysRead, targetTag);
        return new TargetSyncResult(
            target,
            keysRead,
            reads.OfType<KeyRead.Unreadable>().Select(u => new UnreadableKey(target, u.KeyId, u.ErrorCode, u.ErrorMessage)).ToList(),
            reads.Count(r => r is KeyRead.Gone));
    }

    /// <summary>Re-reads a few keys into the snapshot table (after a run changed them), without a full sync.</summary>
    internal async Task RefreshAsync(string target, IEnumerable<string> keyIds, CancellationToken cancellationToken)
    {
        var kms = _clients.Create(target);
        var reads = new List<KeyRead>();
        foreach (var keyId in keyIds.Distinct())
        {
            reads.Add(await TryReadAsync(keyId, arn: null, aliases: null, async () =>
            {
                var aliases = (await KmsKeys.AliasesOfAsync(kms, keyId, cancellationToken)).Select(a => a.AliasName).ToList();
                // A run's refresh reads only what runs change; the tags stay as the last full sync read them.
                return await ReadSnapshotAsync(kms, target, keyId, aliases, readTags: false, readLastUse: true, cancellationToken);
            }));
        }

        var now = _store.Time.GetUtcNow();
        await _store.WriteAsync(async (db, _) =>
        {
            foreach (var read in reads)
            {
                var row = await db.KeySnapshots.FindAsync([target, read.KeyId], cancellationToken);
                if (read is KeyRead.Read { Snapshot: var snapshot } && row is not null)
                {
                    snapshot.Tags = row.Tags;
                }

                Save(db, target, row, read, now);
            }
        }, cancellationToken);
        if (_compliance is not null)
        {
            await _compliance.EvaluateAsync(cancellationToken);
        }
    }

    public async Task<PagedResult<KeySnapshot>> QueryAsync(KeyQuery query, CancellationToken cancellationToken = default)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var page = Math.Max(query.Page, 0);
        await using var db = await _store.ReadAsync(cancellationToken);
        var keys = db.KeySnapshots.AsNoTracking();
        if (query.Target is { Length: > 0 } target)
        {
            keys = keys.Where(k => k.Target == target);
        }

        if (query.Search is { Length: > 0 } search)
        {
            var pattern = $"%{search}%";
            keys = keys.Where(k => EF.Functions.Like(k.Aliases, pattern) || EF.Functions.Like(k.KeyId, pattern)
                                   || EF.Functions.Like(k.Description, pattern) || EF.Functions.Like(k.Arn, pattern));
        }

        if (query.Origin is { Length: > 0 } origin)
        {
            keys = keys.Where(k => k.Origin == origin);
        }

        if (query.KeyState is { Length: > 0 } state)
        {
            keys = keys.Where(k => k.KeyState == state);
        }

        if (query.RotationEnabled is { } rotation)
        {
            keys = keys.Where(k => k.RotationEnabled == rotation);
        }

        if (query.CouldNotRead is { } couldNotRead)
        {
            keys = couldNotRead ? keys.Where(k => k.ReadErrorCode != null) : keys.Where(k => k.ReadErrorCode == null);
        }

        if (query.MaterialExpired)
        {
            keys = WithExpiredMaterial(keys);
        }

        if (query.UnusedForDays is { } unusedDays)
        {
            // No use recorded since the cutoff, and tracking had begun by then (a key created yesterday is not "unused for 30 days").
            var cutoff = _store.Time.GetUtcNow().AddDays(-Math.Max(0, unusedDays));
            keys = keys.Where(k => k.LastUseErrorCode == null && k.UsageTrackingStartDate != null
                                   && (k.LastUsedAt != null ? k.LastUsedAt < cutoff : k.UsageTrackingStartDate <= cutoff));
        }

        if (query.ExpiringWithinDays is { } days)
        {
            var now = _store.Time.GetUtcNow();
            keys = WithMaterialExpiring(keys, now, now.AddDays(days));
        }

        keys = (query.SortBy, query.Descending) switch
        {
            (KeySortField.KeyId, false) => keys.OrderBy(k => k.KeyId),
            (KeySortField.KeyId, true) => keys.OrderByDescending(k => k.KeyId),
            (KeySortField.Origin, false) => keys.OrderBy(k => k.Origin).ThenBy(k => k.Aliases),
            (KeySortField.Origin, true) => keys.OrderByDescending(k => k.Origin).ThenBy(k => k.Aliases),
            (KeySortField.KeyState, false) => keys.OrderBy(k => k.KeyState).ThenBy(k => k.Aliases),
            (KeySortField.KeyState, true) => keys.OrderByDescending(k => k.KeyState).ThenBy(k => k.Aliases),
            (KeySortField.NextRotationDate, false) => keys.OrderBy(k => k.NextRotationDate == null).ThenBy(k => k.NextRotationDate),
            (KeySortField.NextRotationDate, true) => keys.OrderByDescending(k => k.NextRotationDate),
            (KeySortField.LastRotationDate, false) => keys.OrderBy(k => k.LastRotationDate == null).ThenBy(k => k.LastRotationDate),
            (KeySortField.LastRotationDate, true) => keys.OrderByDescending(k => k.LastRotationDate),
            (KeySortField.ValidTo, false) => keys.OrderBy(k => k.ValidTo == null).ThenBy(k => k.ValidTo),
            (KeySortField.ValidTo, true) => keys.OrderByDescending(k => k.ValidTo),
            (KeySortField.CreationDate, false) => keys.OrderBy(k => k.CreationDate),
            (KeySortField.CreationDate, true) => keys.OrderByDescending(k => k.CreationDate),
            (_, true) => keys.OrderBy(k => k.Aliases == "").ThenByDescending(k => k.Aliases).ThenBy(k => k.KeyId),
            _ => keys.OrderBy(k => k.Aliases == "").ThenBy(k => k.Aliases).ThenBy(k => k.KeyId),
        };

        var total = await keys.CountAsync(cancellationToken);
        var items = await keys.Skip(page * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new PagedResult<KeySnapshot>(items, total, page, pageSize);
    }

    /// <summary>Reads a key live: DescribeKey, aliases, rotation status, rotations with all key material, tags.</summary>
    public Task<KeyDetail> GetDetailAsync(string target, string keyId, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => ReadDetailAsync(target, keyId, cancellationToken), cancellationToken);

    private async Task<KeyDetail> ReadDetailAsync(string target, string keyId, CancellationToken cancellationToken)
    {
        var kms = _clients.Create(target);
        var metadata = (await RetryAsync(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }, cancellationToken), cancellationToken)).KeyMetadata;
        var aliases = (await KmsKeys.AliasesOfAsync(kms, metadata.KeyId, cancellationToken)).Select(a => a.AliasName).ToList();
        var (enabled, period, next) = await RotationStatusAsync(kms, metadata, cancellationToken);
        var rotations = metadata.KeySpec == KeySpec.SYMMETRIC_DEFAULT && metadata.KeyState != KeyState.PendingDeletion
            ? await KmsKeys.RotationsAsync(kms, metadata.KeyId, includeMaterial: metadata.Origin == OriginType.EXTERNAL, cancellationToken)
            : [];
        var tags = await KmsKeys.ListTagsAsync(kms, metadata.KeyId, cancellationToken);
        var lastUse = await RetryAsync(() => Safety.KeyLastUse.ReadAsync(kms, metadata.KeyId, _errors.IsTransient, cancellationToken), cancellationToken);
        return new KeyDetail(
            Preflight.Summarize(target, metadata, aliases),
            Utc(metadata.CreationDate) ?? default,
            enabled,
            period,
            next,
            rotations.Select(r => new KeyRotationEntry(Utc(r.RotationDate), r.RotationType?.Value, r.KeyMaterialId, r.KeyMaterialState?.Value,
                r.ImportState?.Value, r.ExpirationModel?.Value, Utc(r.ValidTo))).ToList(),
            tags.Select(t => new KeyTag(t.TagKey, t.TagValue)).ToList())
        {
            LastUse = lastUse,
        };
    }

    /// <summary>
    /// Material that expired: PendingImport with an expiry (read from the material's entry once KMS deleted it). A key
    /// never imported into, or whose material was deleted on purpose (an alias swap's fate), is PendingImport with no expiry.
    /// </summary>
    private static IQueryable<KeySnapshot> WithExpiredMaterial(IQueryable<KeySnapshot> keys) =>
        keys.Where(k => k.Origin == OriginType.EXTERNAL.Value && k.KeyState == KeyState.PendingImport.Value && k.ValidTo != null);

    /// <summary>Imported material still in use whose expiry falls between <paramref name="from"/> and <paramref name="until"/>.</summary>
    private static IQueryable<KeySnapshot> WithMaterialExpiring(IQueryable<KeySnapshot> keys, DateTimeOffset from, DateTimeOffset until) =>
        keys.Where(k => k.KeyState != KeyState.PendingImport.Value && k.ValidTo != null && k.ValidTo >= from && k.ValidTo <= until);

    public async Task<DashboardCounts> GetDashboardAsync(CancellationToken cancellationToken = default)
    {
        var now = _store.Time.GetUtcNow();
        var in30 = now.AddDays(30);
        await using var db = await _store.ReadAsync(cancellationToken);
        var keys = db.KeySnapshots.AsNoTracking();
        var withoutRotation = await keys.CountAsync(k => k.Origin == OriginType.AWS_KMS.Value && k.KeySpec == KeySpec.SYMMETRIC_DEFAULT.Value && k.KeyState == KeyState.Enabled.Value && !k.RotationEnabled, cancellationToken);
        var rotationDue = await keys.CountAsync(k => k.RotationEnabled && k.NextRotationDate != null && k.NextRotationDate <= in30, cancellationToken);
        var expiring = await WithMaterialExpiring(keys, now, in30).CountAsync(cancellationToken);
        var expired = await WithExpiredMaterial(keys).CountAsync(cancellationToken);
        var awaiting = await db.Runs.CountAsync(r => r.State == RunState.AwaitingApproval, cancellationToken);
        var failed = await db.Runs.CountAsync(r => r.State == RunState.Failed, cancellationToken);

        var weekStart = new DateTimeOffset(now.UtcDateTime.Date.AddDays(-(((int)now.UtcDateTime.DayOfWeek + 6) % 7)), TimeSpan.Zero);
        const int weeks = 12;
        var horizon = weekStart.AddDays(7 * weeks);
        var rotationDates = await keys.Where(k => k.RotationEnabled && k.NextRotationDate != null && k.NextRotationDate >= weekStart && k.NextRotationDate < horizon)
            .Select(k => k.NextRotationDate!.Value).ToListAsync(cancellationToken);
        var expiryDates = await keys.Where(k => k.ValidTo != null && k.ValidTo >= weekStart && k.ValidTo < horizon)
            .Select(k => k.ValidTo!.Value).ToListAsync(cancellationToken);
        var upcoming = Enumerable.Range(0, weeks).Select(w =>
        {
            var start = weekStart.AddDays(7 * w);
            var end = start.AddDays(7);
            return new WeekCount(start, rotationDates.Count(d => d >= start && d < end), expiryDates.Count(d => d >= start && d < end));
        }).ToList();
        return new DashboardCounts(withoutRotation, rotationDue, expiring, expired, awaiting, failed, upcoming,
            await KeysByTargetAsync(keys, cancellationToken), await KeysByOriginAsync(keys, cancellationToken));
    }

    /// <summary>Every configured target (with none, 0), then any other target the snapshot table still holds keys of.</summary>
    private async Task<IReadOnlyList<KeyTotal>> KeysByTargetAsync(IQueryable<KeySnapshot> keys, CancellationToken cancellationToken)
    {
        var counted = await keys.GroupBy(k => k.Target).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var configured = _options.Targets.Select(t => t.Name).ToList();
        return configured.Concat(counted.Keys.Except(configured).Order(StringComparer.Ordinal))
            .Select(target => new KeyTotal(target, counted.GetValueOrDefault(target))).ToList();
    }

    /// <summary>The origins present, most keys first.</summary>
    private static async Task<IReadOnlyList<KeyTotal>> KeysByOriginAsync(IQueryable<KeySnapshot> keys, CancellationToken cancellationToken)
    {
        // A key never read has no origin yet; it is counted under its target only.
        var counted = await keys.Where(k => k.Origin != "").GroupBy(k => k.Origin).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return counted.OrderByDescending(g => g.Count).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => new KeyTotal(g.Key, g.Count)).ToList();
    }

    /// <summary>
    /// Reads one key; a key KMS no longer knows is gone, and a key KMS refuses to read (AccessDeniedException from
    /// its key policy, a state that forbids the call, ...) is unreadable with AWS's error. Transient errors were
    /// already retried by the read itself: when they persist, the sync fails rather than mark keys it may well read.
    /// </summary>
    private async Task<KeyRead> TryReadAsync(string keyId, string? arn, List<string>? aliases, Func<Task<KeySnapshot>> read)
    {
        try
        {
            return new KeyRead.Read(await read());
        }
        catch (NotFoundException)
        {
            return new KeyRead.Gone(keyId);
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (!_errors.IsTransient(e))
        {
            var (code, message, _) = _errors.Describe(e);
            return new KeyRead.Unreadable(keyId, arn, aliases is null ? null : JoinAliases(aliases), code, message);
        }
    }

    /// <summary>
    /// Writes what a sync learnt of one key onto its row: a read replaces the row; an unreadable key keeps the
    /// details an earlier sync read (now stale) and records the error; a gone key loses its row.
    /// </summary>
    private static void Save(RotationDbContext db, string target, KeySnapshot? row, KeyRead read, DateTimeOffset now)
    {
        switch (read)
        {
            case KeyRead.Read { Snapshot: var snapshot } when row is null:
                db.KeySnapshots.Add(snapshot);
                break;
            case KeyRead.Read { Snapshot: var snapshot }:
                if (snapshot.LastUseReadAt is null)
                {
                    // Not read with the rest: the last use stays as it was last read.
                    snapshot.SetLastUse(row.LastUse, row.LastUseReadAt);
                }

                db.Entry(row).CurrentValues.SetValues(snapshot);
                break;
            case KeyRead.Gone when row is not null:
                db.KeySnapshots.Remove(row);
                break;
            case KeyRead.Unreadable unreadable:
                if (row is null)
                {
                    row = new KeySnapshot { Target = target, KeyId = unreadable.KeyId };
                    db.KeySnapshots.Add(row);
                }

                row.Arn = unreadable.Arn ?? row.Arn;
                row.Aliases = unreadable.Aliases ?? row.Aliases;
                row.SyncedAt = now;
                row.ReadErrorCode = unreadable.ErrorCode;
                row.ReadErrorMessage = unreadable.ErrorMessage;
                row.ReadErrorAt = now;
                break;
        }
    }

    private static string JoinAliases(List<string> aliases) => string.Join(", ", aliases.Order(StringComparer.Ordinal));

    /// <param name="before">The key's material id and last rotation as the previous sync read them; null to read the rotations in any case.</param>
    private async Task<KeySnapshot> ReadSnapshotAsync(IAmazonKeyManagementService kms, string target, string keyId, List<string> aliases, bool readTags,
        bool readLastUse, CancellationToken cancellationToken, (string? MaterialId, DateTimeOffset? LastRotation)? before = null)
    {
        var m = (await RetryAsync(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }, cancellationToken), cancellationToken)).KeyMetadata;
        var (enabled, period, next) = await RotationStatusAsync(kms, m, cancellationToken);
        DateTimeOffset? last = null;
        if (before is { MaterialId: { } material } && material == m.CurrentKeyMaterialId)
        {
            last = before.Value.LastRotation; // no rotation since: the same key material is current
        }
        else if (m.KeySpec == KeySpec.SYMMETRIC_DEFAULT && m.KeyState is { } s && s != KeyState.PendingDeletion && s != KeyState.PendingImport)
        {
            var rotations = await KmsKeys.RotationsAsync(kms, keyId, includeMaterial: false, cancellationToken);
            last = rotations.Select(r => Utc(r.RotationDate)).Where(d => d is not null).Max();
        }

        var (expirationModel, validTo) = (m.ExpirationModel?.Value, Utc(m.ValidTo));
        if (m.Origin == OriginType.EXTERNAL && m.KeyState == KeyState.PendingImport && validTo is null)
        {
            // DescribeKey names no expiry once KMS has deleted expired material; the material's own entry still does,
            // which tells expired material from material deleted on purpose (no expiry left) or never imported.
            var materials = await KmsKeys.RotationsAsync(kms, keyId, includeMaterial: true, cancellationToken);
            if (materials.FirstOrDefault(r => r.KeyMaterialState == KeyMaterialState.CURRENT) is { ExpirationModel: { } model, ValidTo: { } expired })
            {
                (expirationModel, validTo) = (model.Value, Utc(expired));
            }
        }

        var lastUse = readLastUse ? await ReadLastUseAsync(kms, m.KeyId, cancellationToken) : null;
        var tags = readTags ? await TryReadTagsAsync(kms, keyId, cancellationToken) : null;
        var readAt = _store.Time.GetUtcNow();
        var snapshot = new KeySnapshot
        {
            Target = target,
            KeyId = m.KeyId,
            Arn = m.Arn,
            Aliases = JoinAliases(aliases),
            Origin = m.Origin?.Value ?? "",
            KeySpec = m.KeySpec?.Value ?? "",
            KeyUsage = m.KeyUsage?.Value ?? "",
            KeyState = m.KeyState?.Value ?? "",
            Description = m.Description ?? "",
            RotationEnabled = enabled,
            RotationPeriodInDays = period,
            NextRotationDate = next,
            LastRotationDate = last,
            ValidTo = validTo,
            ExpirationModel = expirationModel,
            CreationDate = Utc(m.CreationDate) ?? default,
            KeyManager = m.KeyManager?.Value ?? "",
            Tags = tags,
            SyncedAt = readAt,
            DetailsReadAt = readAt,
            CurrentKeyMaterialId = m.CurrentKeyMaterialId,
        };
        if (lastUse is not null)
        {
            snapshot.SetLastUse(lastUse, readAt);
        }

        return snapshot;
    }

    /// <summary>Reads each item with at most <see cref="OrchestratorOptions.InventoryConcurrency"/> reads in flight; the results in the items' order.</summary>
    private async Task<TResult[]> ReadBoundedAsync<T, TResult>(IEnumerable<T> items, Func<T, Task<TResult>> read, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, _options.Orchestrator.InventoryConcurrency));
        return await Task.WhenAll(items.Select(async item =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                return await read(item);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>Paced to GetKeyLastUsage's own quota (5 a second by default); a refusal marks the usage unknown, not the key unreadable.</summary>
    private Task<Safety.KeyLastUse> ReadLastUseAsync(IAmazonKeyManagementService kms, string keyId, CancellationToken cancellationToken) =>
        RetryAsync(() => Safety.KeyLastUse.ReadAsync(kms, keyId, _errors.IsTransient, cancellationToken), cancellationToken);

    /// <summary>
    /// Reads the last use of up to <paramref name="batch"/> keys of each target whose last use was never read or is older
    /// than <see cref="OrchestratorOptions.LastUseMaxAge"/>, oldest first, and saves them; returns how many it read. The
    /// sync leaves it out because GetKeyLastUsage's quota (5 a second) is a fraction of the others': 10,000 keys need
    /// 2,000 s of it, against 10 s of GetKeyRotationStatus.
    /// </summary>
    internal async Task<int> ReadDueLastUsesAsync(int batch, CancellationToken cancellationToken)
    {
        var read = 0;
        var cutoff = _store.Time.GetUtcNow() - _options.Orchestrator.LastUseMaxAge;
        foreach (var target in _options.Targets)
        {
            List<string> due;
            await using (var db = await _store.ReadAsync(cancellationToken))
            {
                due = await db.KeySnapshots.AsNoTracking()
                    .Where(k => k.Target == target.Name && k.DetailsReadAt != null && (k.LastUseReadAt == null || k.LastUseReadAt < cutoff))
                    .OrderBy(k => k.LastUseReadAt != null).ThenBy(k => k.LastUseReadAt).ThenBy(k => k.KeyId)
                    .Select(k => k.KeyId).Take(batch).ToListAsync(cancellationToken);
            }

            if (due.Count == 0)
            {
                continue;
            }

            var kms = _clients.Create(target.Name);
            var uses = await ReadBoundedAsync(due, async keyId => (KeyId: keyId, Use: await ReadLastUseAsync(kms, keyId, cancellationToken), At: _store.Time.GetUtcNow()),
                cancellationToken);
            await _store.WriteAsync(async (db, _) =>
            {
                var rows = await db.KeySnapshots.Where(k => k.Target == target.Name && due.Contains(k.KeyId)).ToDictionaryAsync(k => k.KeyId, cancellationToken);
                foreach (var (keyId, use, at) in uses)
                {
                    rows.GetValueOrDefault(keyId)?.SetLastUse(use, at);
                }
            }, cancellationToken);
            read += uses.Length;
        }

        return read;
    }

    /// <summary>The key's tags (for policies scoped by tag); null when KMS refuses to list them, which leaves the rest of the read standing.</summary>
    private async Task<Dictionary<string, string>?> TryReadTagsAsync(IAmazonKeyManagementService kms, string keyId, CancellationToken cancellationToken)
    {
        try
        {
            return (await KmsKeys.ListTagsAsync(kms, keyId, cancellationToken)).GroupBy(t => t.TagKey, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Last().TagValue, StringComparer.Ordinal);
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (!_errors.IsTransient(e) && e is not NotFoundException)
        {
            return null;
        }
    }

    private async Task<(bool Enabled, int? Period, DateTimeOffset? Next)> RotationStatusAsync(IAmazonKeyManagementService kms, KeyMetadata m, CancellationToken cancellationToken)
    {
        // GetKeyRotationStatus answers only for symmetric encryption keys that are not pending deletion.
        if (m.KeySpec != KeySpec.SYMMETRIC_DEFAULT || m.KeyState == KeyState.PendingDeletion || m.KeyManager == KeyManagerType.AWS && m.Origin != OriginType.AWS_KMS)
        {
            return (false, null, null);
        }

        try
        {
            var status = await RetryAsync(() => kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = m.KeyId }, cancellationToken), cancellationToken);
            return (status.KeyRotationEnabled == true, status.RotationPeriodInDays, Utc(status.NextRotationDate));
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (e is UnsupportedOperationException or KMSInvalidStateException)
        {
            return (false, null, null);
        }
    }

    /// <summary>
    /// On top of each call's own retries (in the SDK client, paced to the quotas): a call still throttled after them is
    /// tried again for as long as the caller waits, since throttling only ever asks for time (the sync never gives up on
    /// it); other transient errors get the orchestrator's attempt limit.
    /// </summary>
    private async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        var o = _options.Orchestrator;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                                      && (KmsErrorPolicy.IsThrottling(e) || (attempt < Math.Max(o.MaxAttempts, 3) && _errors.IsTransient(e))))
            {
                await Task.Delay(o.Backoff(Math.Min(attempt, 10)), _store.Time, cancellationToken);
            }
        }
    }

    /// <summary>What one sync learnt about one listed key.</summary>
    private abstract record KeyRead(string KeyId)
    {
        public sealed record Read(KeySnapshot Snapshot) : KeyRead(Snapshot.KeyId);

        public sealed record Gone(string KeyId) : KeyRead(KeyId);

        /// <summary>Arn and Aliases are null when this read did not learn them (keep what the row has).</summary>
        public sealed record Unreadable(string KeyId, string? Arn, string? Aliases, string ErrorCode, string ErrorMessage) : KeyRead(KeyId);
    }

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}
