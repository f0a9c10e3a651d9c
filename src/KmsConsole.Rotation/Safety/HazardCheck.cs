using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Safety;

/// <summary>What a hazard check looks at: the key a run starts from, its alias and, once made, the new key and when the alias moved.</summary>
/// <param name="AliasMovedAt">When the alias moved to the new key (the fate gate); null before the swap (the request's preflight).</param>
/// <param name="OwnRequestIds">KMS request ids of the run's own calls: its sample decrypt after the swap is not a caller's use.</param>
internal sealed record HazardScope(string Target, IAmazonKeyManagementService Kms, string OldKeyId, string? Alias, string? NewKeyId = null,
    DateTimeOffset? AliasMovedAt = null, IReadOnlySet<string>? OwnRequestIds = null);

/// <summary>
/// Lists what an alias swap and the old key's fate would break, each hazard with its evidence: recent use of the old
/// key (GetKeyLastUsage) and use after the alias moved; key policies of the target's keys and the executing role's IAM
/// policies that name the old key or the alias; grants on the old key (ListGrants); a new key's policy that grants less
/// than the old one's; multi-Region keys. It sees only what KMS and IAM answer: use before tracking began, failed uses
/// (a DisabledException is in CloudTrail only), resource policies of other services and other accounts' policies are
/// beyond it.
/// </summary>
internal sealed class HazardCheck(RotationStore store, IIamClientFactory iamClients, IStepErrorPolicy errors, IOptions<RotationOptions> options)
{
    private SafetyOptions Safety => options.Value.Safety;

    public SafetyOptions Options => options.Value.Safety;

    public async Task<IReadOnlyList<Hazard>> FindAsync(HazardScope scope, CancellationToken cancellationToken)
    {
        var kms = scope.Kms;
        var hazards = new List<Hazard>();
        var old = (await KmsKeys.DescribeAsync(kms, scope.OldKeyId, cancellationToken)).KeyMetadata;
        await ReadingAsync("last-use", "the old key's last use (GetKeyLastUsage)", hazards, () => LastUseAsync(scope, old, hazards, cancellationToken));
        MultiRegion(scope, old, hazards);
        await ReadingAsync("grants", "the old key's grants (ListGrants)", hazards, () => GrantsAsync(kms, old, hazards, cancellationToken));
        await ReadingAsync("key-policies", "the target's key policies (ListKeys, GetKeyPolicy)", hazards, () => KeyPoliciesAsync(scope, old, hazards, cancellationToken));
        await RolePoliciesAsync(scope, old, hazards, cancellationToken);
        if (scope.NewKeyId is { } newKeyId)
        {
            await ReadingAsync("policy-comparison", "the old and new keys' policies (GetKeyPolicy)", hazards,
                () => ComparePoliciesAsync(kms, old.KeyId, newKeyId, hazards, cancellationToken));
        }

        return hazards;
    }

    /// <summary>A read KMS refuses (access denied, a state) is a warning that this part could not be checked, never the end of the check.</summary>
    private async Task ReadingAsync(string id, string what, List<Hazard> hazards, Func<Task> read)
    {
        try
        {
            await read();
        }
        catch (AmazonServiceException e) when (!errors.IsTransient(e))
        {
            hazards.Add(new Hazard($"unread:{id}", HazardWeight.Warning, $"{what} could not be read, so what depends on it is not known.",
                $"KMS answered {e.ErrorCode}: {e.Message}"));
        }
    }

    private async Task LastUseAsync(HazardScope scope, KeyMetadata old, List<Hazard> hazards, CancellationToken cancellationToken)
    {
        var use = await KmsKeys.ReadAsync(() => KeyLastUse.ReadAsync(scope.Kms, old.KeyId, errors.IsTransient, cancellationToken), cancellationToken);
        var evidence = $"GetKeyLastUsage of {old.KeyId}: {use.Describe()}" + (use.KmsRequestId is { } id ? $" (KMS request {id})" : "");
        if (!use.Readable)
        {
            hazards.Add(new Hazard("last-use-unknown", HazardWeight.Warning, $"Whether {old.KeyId} is still used cannot be told.", evidence));
            return;
        }

        var own = use.KmsRequestId is { } requestId && scope.OwnRequestIds?.Contains(requestId) == true;
        if (scope.AliasMovedAt is { } moved && use.UsedSince(moved) && !own)
        {
            hazards.Add(new Hazard("used-after-alias-moved", HazardWeight.High,
                $"{old.KeyId} was used after {scope.Alias} moved to the new key: something calls it by key id or ARN, not by the alias, and breaks when the old key is disabled or deleted.",
                evidence + $"; the alias moved at {KeyLastUse.Format(moved)}"));
            return;
        }

        var recent = store.Time.GetUtcNow().AddDays(-Safety.RecentUseDays);
        if (use.UsedSince(recent) && !own)
        {
            hazards.Add(new Hazard("used-recently", HazardWeight.Warning,
                $"{old.KeyId} was used within the last {Safety.RecentUseDays} days; callers that name it by key id or ARN keep using it after the swap.", evidence));
        }
        else if (use.UnknownBeforeTracking)
        {
            hazards.Add(new Hazard("use-before-tracking-unknown", HazardWeight.Warning,
                $"No use of {old.KeyId} is recorded, but KMS began tracking after the key was created: use before that is not known (look in CloudTrail).", evidence));
        }
    }

    private static void MultiRegion(HazardScope scope, KeyMetadata old, List<Hazard> hazards)
    {
        if (old.MultiRegion != true)
        {
            return;
        }

        var config = old.MultiRegionConfiguration;
        var replicas = config?.ReplicaKeys?.Select(r => r.Region).ToList() ?? [];
        var role = config?.MultiRegionKeyType?.Value ?? "multi-Region";
        hazards.Add(new Hazard("multi-region", HazardWeight.Warning,
            $"{old.KeyId} is a multi-Region {role} key" + (replicas.Count > 0 ? $" with replicas in {string.Join(", ", replicas)}" : "") +
            ": the new key is replicated into the same Regions and the alias moves in each Region that has it; the old key's fate reaches its replicas, each disabled or scheduled for deletion in its own Region.",
            $"DescribeKey of {old.KeyId}: MultiRegion true, primary {config?.PrimaryKey?.Region ?? "?"}, replicas {(replicas.Count == 0 ? "none" : string.Join(", ", replicas))}"));
    }

    private static async Task GrantsAsync(IAmazonKeyManagementService kms, KeyMetadata old, List<Hazard> hazards, CancellationToken cancellationToken)
    {
        var grants = await KeyGrants.ListAsync(kms, old.KeyId, cancellationToken);
        foreach (var grant in grants)
        {
            hazards.Add(new Hazard($"grant:{grant.GrantId}", HazardWeight.Warning,
                $"A grant on {old.KeyId} lets {grant.GranteePrincipal} call {string.Join(", ", grant.Operations)}; it does not follow the alias, so the workflow copies it to the new key.",
                $"ListGrants of {old.KeyId}: {KeyGrants.Describe(grant)}"));
        }
    }

    /// <summary>
    /// The key policies of the target's keys as the key list last listed them (the inventory), with the old and the new
    /// key always: an alias swap lists no keys itself, so a key made since the last sync is not read.
    /// </summary>
    private async Task KeyPoliciesAsync(HazardScope scope, KeyMetadata old, List<Hazard> hazards, CancellationToken cancellationToken)
    {
        var kms = scope.Kms;
        List<string> listed;
        await using (var db = await store.ReadAsync(cancellationToken))
        {
            listed = await db.KeySnapshots.AsNoTracking().Where(k => k.Target == scope.Target && k.KeyState != KeyState.PendingDeletion.Value)
                .OrderBy(k => k.KeyId).Select(k => k.KeyId).Take(Safety.PolicyScanLimit + 1).ToListAsync(cancellationToken);
        }

        var keys = new[] { old.KeyId, scope.NewKeyId }.OfType<string>().Concat(listed).Distinct(StringComparer.Ordinal).ToList();
        var unread = new List<string>();
        foreach (var keyId in keys.Take(Safety.PolicyScanLimit))
        {
            string policy;
            try
            {
                policy = (await kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = keyId, PolicyName = "default" }, cancellationToken)).Policy;
            }
            catch (AmazonServiceException e) when (!errors.IsTransient(e))
            {
                unread.Add($"{keyId} ({e.ErrorCode})");
                continue;
            }

            var where = keyId == old.KeyId ? $"the key policy of the old key {keyId}" : keyId == scope.NewKeyId ? $"the key policy of the new key {keyId}" : $"the key policy of {keyId}";
            AddReferences(hazards, $"key-policy:{keyId}", where, PolicyReferences.Find(policy, old.Arn, old.KeyId, scope.Alias), scope.Alias);
        }

        if (unread.Count > 0 || listed.Count > Safety.PolicyScanLimit)
        {
            hazards.Add(new Hazard("key-policies-unread", HazardWeight.Warning,
                "Not every key policy of the target could be read for references to the alias or the old key.",
                (unread.Count > 0 ? $"GetKeyPolicy refused for {string.Join(", ", unread.Take(10))}{(unread.Count > 10 ? $" and {unread.Count - 10} more" : "")}. " : "") +
                (listed.Count > Safety.PolicyScanLimit ? $"Only the first {Safety.PolicyScanLimit} keys were read (Rotation:Safety:PolicyScanLimit)." : "")));
        }
    }

    private async Task RolePoliciesAsync(HazardScope scope, KeyMetadata old, List<Hazard> hazards, CancellationToken cancellationToken)
    {
        var target = options.Value.FindTarget(scope.Target);
        if (target is null || !target.CheckPermissions)
        {
            return;
        }

        try
        {
            var iam = iamClients.Create(target.Name);
            var principal = string.IsNullOrWhiteSpace(target.RoleArn) ? (await iam.GetCallerIdentityAsync(cancellationToken)).Arn : target.RoleArn;
            if (!PermissionPreflight.IsRole(principal))
            {
                return;
            }

            var role = PermissionPreflight.RoleNameOf(principal);
            foreach (var attached in await iam.ListAttachedRolePoliciesAsync(role, cancellationToken))
            {
                var policy = await iam.GetPolicyAsync(attached.PolicyArn, cancellationToken);
                var version = await iam.GetPolicyVersionAsync(attached.PolicyArn, policy.DefaultVersionId, cancellationToken);
                AddReferences(hazards, $"iam-policy:{attached.PolicyArn}", $"the IAM policy {attached.PolicyArn} of role {role}",
                    PolicyReferences.Find(version.Document, old.Arn, old.KeyId, scope.Alias), scope.Alias, oldKeyWeight: HazardWeight.Warning);
            }

            foreach (var name in await iam.ListRolePoliciesAsync(role, cancellationToken))
            {
                var inline = await iam.GetRolePolicyAsync(role, name, cancellationToken);
                AddReferences(hazards, $"iam-policy:{role}/{name}", $"the inline policy {name} of role {role}",
                    PolicyReferences.Find(inline.PolicyDocument, old.Arn, old.KeyId, scope.Alias), scope.Alias, oldKeyWeight: HazardWeight.Warning);
            }
        }
        catch (Exception e) when (RunPermissionCheck.Unanswered(e, cancellationToken))
        {
            hazards.Add(new Hazard("role-policies-unread", HazardWeight.Warning,
                "The executing role's IAM policies could not be read for references to the alias or the old key.", RunPermissionCheck.Explain(target, e)));
        }
    }

    /// <param name="oldKeyWeight">
    /// High for key policies. The executing role's own policies name the old key by design (the generated least-privilege
    /// policy does), so there it is a warning: whoever else uses the role loses that access on the new key.
    /// </param>
    private static void AddReferences(List<Hazard> hazards, string id, string where, IReadOnlyList<PolicyReference> references, string? alias,
        HazardWeight oldKeyWeight = HazardWeight.High)
    {
        foreach (var group in references.GroupBy(r => r.NamesOldKey))
        {
            var evidence = $"{where}: " + string.Join("; ", group.Select(r => $"statement {r.Statement}, {r.Element} = {r.Value}"));
            hazards.Add(group.Key
                ? new Hazard($"{id}:old-key", oldKeyWeight,
                    $"{where} names the old key itself: after the swap it still applies to the old key, not to the new one callers reach through {alias}.", evidence)
                : new Hazard($"{id}:alias", HazardWeight.Warning,
                    $"{where} names {alias} (alias conditions follow the alias to the new key): check that it should apply to the new key and no longer to the old one.", evidence));
        }
    }

    private static async Task ComparePoliciesAsync(IAmazonKeyManagementService kms, string oldKeyId, string newKeyId, List<Hazard> hazards, CancellationToken cancellationToken)
    {
        var oldPolicy = (await kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = oldKeyId, PolicyName = "default" }, cancellationToken)).Policy;
        var newPolicy = (await kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = newKeyId, PolicyName = "default" }, cancellationToken)).Policy;
        var missing = PolicyReferences.Grants(oldPolicy).Except(PolicyReferences.Grants(newPolicy)).ToList();
        if (missing.Count > 0)
        {
            hazards.Add(new Hazard("new-key-policy-grants-less", HazardWeight.Warning,
                $"The new key's policy does not grant what the old key's policy grants; callers that rely on it are refused once they reach the new key.",
                $"GetKeyPolicy of {oldKeyId} allows, and of {newKeyId} does not: " + string.Join("; ", missing.Select(m => $"{m.Principal} {m.Action}"))));
        }
    }
}
