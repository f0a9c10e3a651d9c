using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;

namespace KmsConsole.Rotation.Safety;

/// <summary>The Regions of a multi-Region primary's replicas; empty for a single-Region key (or a replica, which the request refuses).</summary>
internal static class ReplicaRegions
{
    public static IReadOnlyList<string> Of(KeyMetadata key) =>
        key.MultiRegion == true && key.MultiRegionConfiguration?.MultiRegionKeyType == MultiRegionKeyType.PRIMARY
            ? key.MultiRegionConfiguration.ReplicaKeys?.Select(r => r.Region).Order(StringComparer.Ordinal).ToList() ?? []
            : [];
}

/// <summary>
/// For a multi-Region primary: ReplicateKey of the new key (made multi-Region by CreateKey) into every Region the old key
/// has a replica in, each replica with the policy and description of the old key's replica there, before the alias
/// moves; then waits until every replica is Enabled. A replica already made (a resumed run) is not made again.
/// </summary>
internal sealed class ReplicateNewKeyStep(IAmazonKeyManagementService kms, Func<string, IAmazonKeyManagementService> inRegion) : WorkflowStep
{
    /// <summary>How long the step waits for new replicas to leave Creating before it fails (and can be resumed).</summary>
    internal static readonly TimeSpan ReplicaWait = TimeSpan.FromMinutes(2);

    public override string Key => SafetyStepKey.ReplicateNewKey;
    public override string Name => "Replicate the new key into the old key's Regions";
    public override string Description => "For a multi-Region key: ReplicateKey of the new key into each Region of the old key's replicas (their policy and description), then wait until each is Enabled. Nothing for a single-Region key.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var old = (await KmsKeys.DescribeAsync(kms, context.Run.KeyId, context.CancellationToken)).KeyMetadata;
        var regions = ReplicaRegions.Of(old);
        if (regions.Count == 0)
        {
            return new StepResult($"The old key {old.KeyId} has no replicas; nothing to replicate");
        }

        var newKeyId = context.Require(CreateKeyStep.NewKeyValue);
        var fresh = (await KmsKeys.DescribeAsync(kms, newKeyId, context.CancellationToken)).KeyMetadata;
        if (fresh.MultiRegion != true)
        {
            throw new StepCheckFailedException($"The new key {newKeyId} is not multi-Region, so it cannot be replicated into {string.Join(", ", regions)}.");
        }

        var existing = ReplicaRegions.Of(fresh).ToHashSet(StringComparer.Ordinal);
        string? requestId = null;
        foreach (var region in regions.Where(r => !existing.Contains(r)))
        {
            var there = inRegion(region);
            var oldReplica = (await KmsKeys.DescribeAsync(there, old.KeyId, context.CancellationToken)).KeyMetadata;
            var policy = await KmsKeys.ReadAsync(() => there.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = old.KeyId, PolicyName = "default" }, context.CancellationToken),
                context.CancellationToken);
            var replicated = await kms.ReplicateKeyAsync(new ReplicateKeyRequest
            {
                KeyId = newKeyId, ReplicaRegion = region, Policy = policy.Policy, Description = oldReplica.Description,
                Tags = [new Tag { TagKey = KmsKeys.RunIdTag, TagValue = context.Run.Id.ToString() }],
            }, context.CancellationToken);
            requestId = replicated.RequestId();
        }

        // AWS answers ReplicateKey while the replica is Creating; the alias may move only to a usable key.
        var deadline = context.Time.GetUtcNow() + ReplicaWait;
        foreach (var region in regions)
        {
            while (true)
            {
                var state = (await KmsKeys.DescribeAsync(inRegion(region), newKeyId, context.CancellationToken)).KeyMetadata.KeyState;
                if (state == KeyState.Enabled)
                {
                    break;
                }

                if (state != KeyState.Creating || context.Time.GetUtcNow() > deadline)
                {
                    throw new StepCheckFailedException($"The replica of {newKeyId} in {region} is {state}, not Enabled.");
                }

                await Task.Delay(TimeSpan.FromSeconds(2), context.Time, context.CancellationToken);
            }
        }

        return new StepResult($"New key {newKeyId} replicated into {string.Join(", ", regions)}; every replica is Enabled", requestId);
    }
}

/// <summary>
/// For a multi-Region key: UpdateAlias in every replica Region where the alias points at the key it leaves (a swap: the
/// old key; a roll back: the swap's new key), so callers in each Region reach the key it goes to; a Region where the
/// alias does not exist or points elsewhere is left alone (and named). The Regions are those of the run key's replicas.
/// </summary>
internal sealed class PointReplicaAliasesStep : WorkflowStep
{
    private readonly IAmazonKeyManagementService _kms;
    private readonly Func<string, IAmazonKeyManagementService> _inRegion;
    private readonly Func<StepContext, string> _from;
    private readonly Func<StepContext, string> _to;

    private PointReplicaAliasesStep(IAmazonKeyManagementService kms, Func<string, IAmazonKeyManagementService> inRegion, string key, string name,
        string description, Func<StepContext, string> from, Func<StepContext, string> to)
    {
        (_kms, _inRegion, _from, _to) = (kms, inRegion, from, to);
        (Key, Name, Description) = (key, name, description);
    }

    public override string Key { get; }
    public override string Name { get; }
    public override string Description { get; }

    /// <summary>A swap: from the old key (the run's key) to the new key it created.</summary>
    public static PointReplicaAliasesStep ForSwap(IAmazonKeyManagementService kms, Func<string, IAmazonKeyManagementService> inRegion) =>
        new(kms, inRegion, SafetyStepKey.PointReplicaAliases, "Point the alias at the new key in the replicas' Regions",
            "For a multi-Region key: UpdateAlias in each replica Region whose alias points at the old key. Nothing for a single-Region key.",
            c => c.Run.KeyId, c => c.Require(CreateKeyStep.NewKeyValue));

    /// <summary>A roll back: from the key the undone swap created (recorded when the roll back was requested) back to the run's key.</summary>
    public static PointReplicaAliasesStep ForRollBack(IAmazonKeyManagementService kms, Func<string, IAmazonKeyManagementService> inRegion) =>
        new(kms, inRegion, SafetyStepKey.PointReplicaAliasesBack, "Point the alias back in the replicas' Regions",
            "For a multi-Region key: UpdateAlias in each replica Region whose alias points at the swap's new key, back to the previous key. Nothing for a single-Region key.",
            c => c.Require(SwappedKeyValue), c => c.Run.KeyId);

    /// <summary>The run value of a roll back naming the key the undone swap created.</summary>
    public const string SwappedKeyValue = "SwappedKeyId";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var alias = context.Run.AliasName!;
        var primary = (await KmsKeys.DescribeAsync(_kms, context.Run.KeyId, context.CancellationToken)).KeyMetadata;
        var regions = ReplicaRegions.Of(primary);
        if (regions.Count == 0)
        {
            return new StepResult($"The key {primary.KeyId} has no replicas; {alias} exists in this Region only");
        }

        var from = _from(context);
        var to = _to(context);
        var said = new List<string>();
        string? requestId = null;
        foreach (var region in regions)
        {
            var there = _inRegion(region);
            var target = await KmsKeys.FindAsync(there, alias, context.CancellationToken);
            if (target is null)
            {
                said.Add($"{region}: no {alias}");
            }
            else if (target.KeyId == to)
            {
                said.Add($"{region}: already on {to}");
            }
            else if (target.KeyId == from)
            {
                requestId = (await there.UpdateAliasAsync(new UpdateAliasRequest { AliasName = alias, TargetKeyId = to }, context.CancellationToken)).RequestId();
                said.Add($"{region}: moved");
            }
            else
            {
                said.Add($"{region}: left on {target.KeyId}, not {from}");
            }
        }

        return new StepResult($"{alias} in the replicas' Regions — {string.Join("; ", said)}", requestId);
    }
}
