using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Workflows;

namespace KmsConsole.Rotation.Safety;

/// <summary>One replica of the old key: its Region, the target's KMS there, and the replica as DescribeKey answered there.</summary>
internal sealed record OldKeyReplica(string Region, IAmazonKeyManagementService Kms, KeyMetadata Key)
{
    public KeyState State => Key.KeyState;
}

/// <summary>
/// The old key's replicas share its fate, so none is left behind usable when the primary is retired. AWS keeps the key
/// state of each key of a multi-Region set apart (DisableKey on the primary leaves its replicas Enabled); a replica can
/// be scheduled for deletion at any time; and a primary with replicas that is scheduled for deletion becomes
/// PendingReplicaDeletion, its waiting period beginning only when its last replica is deleted. So the fate is applied
/// to each replica in its own Region first, then to the primary, and a replica that already has it is left alone.
/// </summary>
internal sealed class OldKeyReplicas(IAmazonKeyManagementService kms, Func<string, IAmazonKeyManagementService>? inRegion)
{
    /// <summary>The replicas of <paramref name="keyId"/> when it is a multi-Region primary (empty otherwise), each read in its Region.</summary>
    public async Task<IReadOnlyList<OldKeyReplica>> ReadAsync(string keyId, CancellationToken cancellationToken)
    {
        var primary = (await KmsKeys.DescribeAsync(kms, keyId, cancellationToken)).KeyMetadata;
        return await ReadAsync(primary, cancellationToken);
    }

    /// <summary>As <see cref="ReadAsync(string, CancellationToken)"/>, from the primary already read.</summary>
    public async Task<IReadOnlyList<OldKeyReplica>> ReadAsync(KeyMetadata primary, CancellationToken cancellationToken)
    {
        var regions = ReplicaRegions.Of(primary);
        if (regions.Count == 0)
        {
            return [];
        }

        if (inRegion is null)
        {
            throw new InvalidOperationException($"The key {primary.KeyId} has replicas in {string.Join(", ", regions)}, and no KMS client for other Regions was given.");
        }

        var replicas = new List<OldKeyReplica>();
        foreach (var region in regions)
        {
            var there = inRegion(region);
            replicas.Add(new OldKeyReplica(region, there, (await KmsKeys.DescribeAsync(there, primary.KeyId, cancellationToken)).KeyMetadata));
        }

        return replicas;
    }

    /// <summary>
    /// The key already has the fate, or a further one: a disabled key counts as disabled once pending deletion too, and a
    /// primary with replicas scheduled for deletion is PendingReplicaDeletion until its replicas are deleted.
    /// </summary>
    public static bool Has(KeyState state, OldKeyFate fate) => fate switch
    {
        OldKeyFate.Disable => state == KeyState.Disabled || IsPendingDeletion(state),
        OldKeyFate.ScheduleDeletion => IsPendingDeletion(state),
        OldKeyFate.DeleteImportedMaterial => state == KeyState.PendingImport || IsPendingDeletion(state),
        _ => true,
    };

    public static bool IsPendingDeletion(KeyState state) => state == KeyState.PendingDeletion || state == KeyState.PendingReplicaDeletion;

    /// <summary>
    /// Disables or schedules the deletion of (<paramref name="fate"/>) every replica that does not have it yet, in its own
    /// Region, with the primary's waiting period; says what each replica became. The last request id is kept for the step.
    /// </summary>
    public static async Task<ReplicaFateOutcome> ApplyAsync(IReadOnlyList<OldKeyReplica> replicas, OldKeyFate fate, int? pendingWindowInDays,
        CancellationToken cancellationToken)
    {
        var said = new List<string>();
        string? requestId = null;
        foreach (var replica in replicas)
        {
            if (Has(replica.State, fate))
            {
                said.Add($"{replica.Region}: already {replica.State}");
                continue;
            }

            switch (fate)
            {
                case OldKeyFate.Disable:
                    requestId = (await replica.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = replica.Key.KeyId }, cancellationToken)).RequestId();
                    said.Add($"{replica.Region}: disabled");
                    break;
                case OldKeyFate.ScheduleDeletion:
                    var scheduled = await replica.Kms.ScheduleKeyDeletionAsync(
                        new ScheduleKeyDeletionRequest { KeyId = replica.Key.KeyId, PendingWindowInDays = pendingWindowInDays ?? 30 }, cancellationToken);
                    requestId = scheduled.RequestId();
                    said.Add($"{replica.Region}: deletion scheduled for {scheduled.DeletionDate:u}");
                    break;
                default:
                    throw new InvalidOperationException($"The fate {fate} is not applied to replicas (multi-Region keys with imported material are refused).");
            }
        }

        return new ReplicaFateOutcome(said, requestId);
    }

    /// <summary>EnableKey on every replica that is Disabled (a re-enabled staged retirement); says which.</summary>
    public static async Task<ReplicaFateOutcome> EnableAsync(IReadOnlyList<OldKeyReplica> replicas, CancellationToken cancellationToken)
    {
        var said = new List<string>();
        string? requestId = null;
        foreach (var replica in replicas)
        {
            if (replica.State != KeyState.Disabled)
            {
                said.Add($"{replica.Region}: left {replica.State}");
                continue;
            }

            requestId = (await replica.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = replica.Key.KeyId }, cancellationToken)).RequestId();
            said.Add($"{replica.Region}: enabled");
        }

        return new ReplicaFateOutcome(said, requestId);
    }
}

/// <summary>What each replica became ("us-west-2: disabled"), and the request id of the last call made.</summary>
internal sealed record ReplicaFateOutcome(IReadOnlyList<string> Said, string? RequestId)
{
    /// <summary>"; its replicas — us-west-2: disabled", or nothing for a key without replicas.</summary>
    public string Sentence => Said.Count == 0 ? "" : $"; its replicas — {string.Join("; ", Said)}";
}
