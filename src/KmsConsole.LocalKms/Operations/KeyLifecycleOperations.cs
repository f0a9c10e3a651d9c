using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Creating, describing, listing, enabling, disabling and deleting keys.</summary>
public static class KeyLifecycleOperations
{
    private static readonly string[] OriginsAll = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("CreateKey", CreateKey);
        catalog.Add("DescribeKey", DescribeKey);
        catalog.Add("ListKeys", ListKeys);
        catalog.Add("UpdateKeyDescription", UpdateKeyDescription);
        catalog.Add("EnableKey", EnableKey);
        catalog.Add("DisableKey", DisableKey);
        catalog.Add("ScheduleKeyDeletion", ScheduleKeyDeletion);
        catalog.Add("CancelKeyDeletion", CancelKeyDeletion);
    }

    public static JsonObject CreateKey(KmsRequest request, OperationContext context)
    {
        var policy = request.OptionalString("Policy", 1, 131072);
        var description = request.OptionalString("Description", 0, 8192) ?? "";
        var requestedUsage = request.OptionalEnum("KeyUsage", KeyUsages.All);
        var legacySpec = request.OptionalEnum("CustomerMasterKeySpec", KeySpecs.Legacy);
        var keySpec = request.OptionalEnum("KeySpec", KeySpecs.All);
        var origin = request.OptionalEnum("Origin", OriginsAll) ?? KeyOrigins.AwsKms;
        var tags = request.OptionalTags("Tags") ?? [];
        if (legacySpec is not null && keySpec is not null)
        {
            throw KmsErrors.Validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
        }

        keySpec ??= legacySpec ?? KeySpecs.SymmetricDefault;
        var keyUsage = KeyUsageOf(keySpec, requestedUsage);
        var multiRegion = request.OptionalBool("MultiRegion");

        // The account has no custom key stores, so any store id names none (as AWS answers such an account).
        if (request.OptionalString("CustomKeyStoreId", 1, 64) is not null)
        {
            throw CustomKeyStoreOperations.StoreNotFound();
        }

        if (request.Has("XksKeyId"))
        {
            throw KmsErrors.Validation("XksKeyId is valid only for a KMS key in an external key store (a CustomKeyStoreId is required).");
        }

        if (origin is not (KeyOrigins.AwsKms or KeyOrigins.External))
        {
            throw KmsErrors.Unsupported($"Origin {origin} requires a custom key store, which this local KMS endpoint does not have.");
        }

        TagOperations.Validate(tags);
        var keyId = multiRegion ? MultiRegionOperations.NewKeyId() : Guid.NewGuid().ToString();
        if (policy is not null)
        {
            KeyPolicyDocument.Validate(policy, context.Ring.AccountId, request.OptionalBool("BypassPolicyLockoutSafetyCheck"));
        }

        var key = new KmsKey
        {
            KeyId = keyId,
            CreationDate = context.Now,
            Description = description,
            KeyUsage = keyUsage,
            KeySpec = keySpec,
            Origin = origin,
            Policy = policy ?? PolicyOperations.DefaultPolicy(context.Ring.AccountId),
            Tags = [.. tags.Select(t => new KmsTag(t.Key, t.Value)).DistinctBy(t => t.TagKey)],
            MultiRegion = multiRegion,
            PrimaryRegion = multiRegion ? context.Ring.Region : null,
        };

        if (origin == KeyOrigins.AwsKms)
        {
            // Asymmetric key pairs (RSA 4096 above all) take a while to generate: do it without holding up other requests.
            var secret = key.IsSymmetric ? KeyMaterial.Generate(keySpec) : context.Ring.OutsideGate(() => KeyMaterial.Generate(keySpec));
            key.Materials.Add(new KeyMaterialVersion
            {
                MaterialId = KeyMaterialIds.Derive(keyId, secret),
                CreatedAt = context.Now,
                State = KeyMaterialStates.Current,
                Secret = secret,
            });
        }

        context.Ring.Add(key);
        return new JsonObject { ["KeyMetadata"] = KeyMetadataJson.Build(key, context.Ring) };
    }

    public static JsonObject DescribeKey(KmsRequest request, OperationContext context)
    {
        var key = context.Ring.Resolve(request.RequiredString("KeyId", 1, 2048), context.Now, aliasesAccepted: true);
        return new JsonObject { ["KeyMetadata"] = KeyMetadataJson.Build(key, context.Ring) };
    }

    public static JsonObject ListKeys(KmsRequest request, OperationContext context)
    {
        context.Ring.Sweep(context.Now);
        var keys = context.Ring.Keys.ToList();
        return Paging.Page(request, keys, "Keys", key => new JsonObject
        {
            ["KeyId"] = key.KeyId,
            ["KeyArn"] = context.Ring.KeyArn(key.KeyId),
        });
    }

    public static JsonObject UpdateKeyDescription(KmsRequest request, OperationContext context)
    {
        var key = Target(request, context, "UpdateKeyDescription");
        key.Description = request.RequiredString("Description", 0, 8192);
        context.Ring.Save(key);
        return [];
    }

    public static JsonObject EnableKey(KmsRequest request, OperationContext context)
    {
        var key = Target(request, context, "EnableKey");
        key.Enabled = true;

        // KMS does not rotate a disabled key; re-enabled after its rotation date, it rotates at once and then every period.
        if (key.RotationEnabled && key.NextRotationDate <= context.Now && key.RotationPeriodInDays is { } period)
        {
            context.Ring.RotateToGeneratedMaterial(key, context.Now, RotationTypes.Automatic);
            key.NextRotationDate = context.Now.AddDays(period);
        }

        context.Ring.Save(key);
        return [];
    }

    public static JsonObject DisableKey(KmsRequest request, OperationContext context)
    {
        var key = Target(request, context, "DisableKey");
        key.Enabled = false;
        context.Ring.Save(key);
        return [];
    }

    public static JsonObject ScheduleKeyDeletion(KmsRequest request, OperationContext context)
    {
        var window = request.OptionalInt("PendingWindowInDays", 1, 365) ?? 30;
        var key = Target(request, context, "ScheduleKeyDeletion");
        if (window is < 7 or > 30)
        {
            throw KmsErrors.Validation("PendingWindowInDays value must be between 7 and 30 (inclusive).");
        }

        key.DeletionDate = context.Now.AddDays(window);
        key.PendingWindowInDays = window;
        context.Ring.Save(key);
        return new JsonObject
        {
            ["KeyId"] = context.Ring.KeyArn(key.KeyId),
            ["DeletionDate"] = AwsJson.Timestamp(key.DeletionDate.Value),
            ["KeyState"] = key.State,
            ["PendingWindowInDays"] = window,
        };
    }

    public static JsonObject CancelKeyDeletion(KmsRequest request, OperationContext context)
    {
        var key = Target(request, context, "CancelKeyDeletion");
        key.DeletionDate = null;
        key.PendingWindowInDays = null;

        // AWS leaves a key whose deletion was cancelled Disabled (or PendingImport when its material is missing).
        key.Enabled = false;
        context.Ring.Save(key);
        return new JsonObject { ["KeyId"] = context.Ring.KeyArn(key.KeyId) };
    }

    /// <summary>The key named by the KeyId member (key id or ARN), checked against the state rules of the operation.</summary>
    public static KmsKey Target(KmsRequest request, OperationContext context, string operation, bool aliasesAccepted = false)
    {
        var key = context.Ring.Resolve(request.RequiredString("KeyId", 1, 2048), context.Now, aliasesAccepted);
        KeyStateRules.Require(key, operation, context.Ring.KeyArn(key.KeyId));
        return key;
    }

    /// <summary>
    /// The key usage CreateKey gives a key, in AWS's order of checks (LocalStack's AWS-recorded snapshots): KeyUsage may be
    /// omitted only for SYMMETRIC_DEFAULT ("You must specify a KeyUsage value for all KMS keys except for symmetric
    /// encryption keys."); a usage the spec does not have is "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048";
    /// both come before SM2's refusal outside China.
    /// </summary>
    private static string KeyUsageOf(string keySpec, string? requestedUsage)
    {
        if (requestedUsage is null && keySpec != KeySpecs.SymmetricDefault)
        {
            throw KmsErrors.Validation("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
        }

        var keyUsage = requestedUsage ?? KeyUsages.EncryptDecrypt;
        if (!KeySpecs.Allows(keySpec, keyUsage))
        {
            throw KmsErrors.Validation($"KeyUsage {keyUsage} is not compatible with KeySpec {keySpec}");
        }

        Regions.RefuseSm2(keySpec);
        return keyUsage;
    }
}
