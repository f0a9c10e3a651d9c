using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// Multi-Region keys: CreateKey with MultiRegion=true makes a primary (an mrk- id); ReplicateKey copies it into another
/// Region with the same id and material; UpdatePrimaryRegion moves the primary role. The primary's material and
/// rotation reach its replicas (<see cref="RegionalKeyRings.Share"/>), so a ciphertext from one Region decrypts in the
/// others. Replicas of keys with imported material are not made here (AWS creates them without material, to import into).
/// </summary>
public static class MultiRegionOperations
{
    public const string Primary = "PRIMARY";
    public const string Replica = "REPLICA";

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("ReplicateKey", ReplicateKey);
        catalog.Add("UpdatePrimaryRegion", UpdatePrimaryRegion);
    }

    /// <summary>"mrk-" and 32 hex digits, as AWS names multi-Region keys.</summary>
    public static string NewKeyId() => "mrk-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static JsonObject ReplicateKey(KmsRequest request, OperationContext context)
    {
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var replicaRegion = request.RequiredString("ReplicaRegion", 1, 32);
        KmsRequest.RequirePattern("ReplicaRegion", replicaRegion, RegionalKeyRings.RegionPattern());
        var policy = request.OptionalString("Policy", 1, 131072);
        var description = request.OptionalString("Description", 0, 8192) ?? "";
        var tags = request.OptionalTags("Tags") ?? [];
        var primary = PrimaryKey(context, keyIdentifier, "ReplicateKey");
        if (replicaRegion == context.Ring.Region)
        {
            throw KmsErrors.Validation($"The replica Region {replicaRegion} is the Region of the primary key {context.Ring.KeyArn(primary.KeyId)}.");
        }

        if (primary.IsExternal)
        {
            throw KmsErrors.Unsupported("This local KMS endpoint does not replicate multi-Region keys with imported key material.");
        }

        var regions = context.Ring.Regions ?? throw KmsErrors.Unsupported("This endpoint holds one Region only.");
        var target = regions.For(replicaRegion);
        if (target.Peek(primary.KeyId) is not null)
        {
            throw KmsErrors.AlreadyExists($"Replica key {target.KeyArn(primary.KeyId)} already exists.");
        }

        TagOperations.Validate(tags);
        if (policy is not null)
        {
            KeyPolicyDocument.Validate(policy, context.Ring.AccountId, request.OptionalBool("BypassPolicyLockoutSafetyCheck"));
        }

        var replica = new KmsKey
        {
            KeyId = primary.KeyId,
            CreationDate = context.Now,
            Description = description,
            KeyUsage = primary.KeyUsage,
            KeySpec = primary.KeySpec,
            Origin = primary.Origin,
            Policy = policy ?? PolicyOperations.DefaultPolicy(context.Ring.AccountId),
            Tags = [.. tags.Select(t => new KmsTag(t.Key, t.Value))],
            MultiRegion = true,
        };
        primary.ReplicaRegions.Add(replicaRegion);
        RegionalKeyRings.CopySharedProperties(primary, replica);
        target.Add(replica);
        context.Ring.Save(primary);

        // AWS answers while the replica is still being made: KeyState Creating, Enabled false (it is usable at once here).
        var metadata = KeyMetadataJson.Build(replica, target);
        metadata["KeyState"] = "Creating";
        metadata["Enabled"] = false;
        return new JsonObject
        {
            ["ReplicaKeyMetadata"] = metadata,
            ["ReplicaPolicy"] = replica.Policy,
            ["ReplicaTags"] = new JsonArray([.. replica.Tags.Select(t => new JsonObject { ["TagKey"] = t.TagKey, ["TagValue"] = t.TagValue })]),
        };
    }

    public static JsonObject UpdatePrimaryRegion(KmsRequest request, OperationContext context)
    {
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var newPrimaryRegion = request.RequiredString("PrimaryRegion", 1, 32);
        KmsRequest.RequirePattern("PrimaryRegion", newPrimaryRegion, RegionalKeyRings.RegionPattern());
        var primary = PrimaryKey(context, keyIdentifier, "UpdatePrimaryRegion");
        if (newPrimaryRegion == context.Ring.Region)
        {
            return [];
        }

        var regions = context.Ring.Regions!;
        var newPrimary = primary.ReplicaRegions.Contains(newPrimaryRegion) ? regions.For(newPrimaryRegion).Peek(primary.KeyId) : null;
        if (newPrimary is null)
        {
            throw KmsErrors.NotFound($"Key '{regions.For(newPrimaryRegion).KeyArn(primary.KeyId)}' does not exist");
        }

        var replicaRegions = primary.ReplicaRegions.Where(r => r != newPrimaryRegion).Append(context.Ring.Region).ToList();
        foreach (var ring in regions.All)
        {
            if (ring.Peek(primary.KeyId) is { } copy && (ring.Region == context.Ring.Region || replicaRegions.Contains(ring.Region) || ring.Region == newPrimaryRegion))
            {
                copy.PrimaryRegion = newPrimaryRegion;
                copy.ReplicaRegions = [.. replicaRegions];
                ring.Database.SaveKey(copy);
            }
        }

        return [];
    }

    /// <summary>The MultiRegionConfiguration of DescribeKey: the key type in this Region, the primary and every replica.</summary>
    public static JsonObject Configuration(KmsKey key, KeyRing ring)
    {
        var primaryRegion = key.PrimaryRegion ?? ring.Region;
        return new JsonObject
        {
            ["MultiRegionKeyType"] = primaryRegion == ring.Region ? Primary : Replica,
            ["PrimaryKey"] = new JsonObject { ["Arn"] = Arn(ring, primaryRegion, key.KeyId), ["Region"] = primaryRegion },
            ["ReplicaKeys"] = new JsonArray([.. key.ReplicaRegions.Select(r => new JsonObject { ["Arn"] = Arn(ring, r, key.KeyId), ["Region"] = r })]),
        };
    }

    /// <summary>Automatic and on-demand rotation are managed on the primary; its replicas follow it.</summary>
    public static void RequireNotReplica(KmsKey key, OperationContext context)
    {
        if (key.IsReplicaIn(context.Ring.Region))
        {
            throw KmsErrors.Unsupported($"{context.Ring.KeyArn(key.KeyId)} is not a multi-region primary key.");
        }
    }

    private static KmsKey PrimaryKey(OperationContext context, string keyIdentifier, string operation)
    {
        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: false);
        var arn = context.Ring.KeyArn(key.KeyId);

        // LocalStack's AWS-recorded test_replicate_replica_key_should_fail: "<arn> is not a multi-region primary key."
        if (!key.MultiRegion || key.IsReplicaIn(context.Ring.Region))
        {
            throw KmsErrors.Unsupported($"{arn} is not a multi-region primary key.");
        }

        KeyStateRules.Require(key, operation, arn);
        return key;
    }

    private static string Arn(KeyRing ring, string region, string keyId) => $"arn:aws:kms:{region}:{ring.AccountId}:key/{keyId}";
}
