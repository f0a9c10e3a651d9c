using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Creating, describing, listing, enabling, disabling and deleting keys.</summary>
public static class KeyLifecycleOperations
{
    private static readonly string[] KeyUsagesAll = ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"];
    private static readonly string[] KeySpecsAll =
        ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT",
         "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519"];
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
        var keyUsage = request.OptionalEnum("KeyUsage", KeyUsagesAll) ?? KeyUsages.EncryptDecrypt;
        var legacySpec = request.OptionalEnum("CustomerMasterKeySpec", KeySpecsAll);
        var keySpec = request.OptionalEnum("KeySpec", KeySpecsAll);
        var origin = request.OptionalEnum("Origin", OriginsAll) ?? KeyOrigins.AwsKms;
        var tags = request.OptionalTags("Tags") ?? [];
        if (legacySpec is not null && keySpec is not null)
        {
            throw KmsErrors.Validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
        }

        keySpec ??= legacySpec ?? KeySpecs.SymmetricDefault;
        if (request.OptionalBool("MultiRegion"))
        {
            throw KmsErrors.Unsupported("This local KMS endpoint does not create multi-Region keys.");
        }

        if (request.Has("CustomKeyStoreId") || request.Has("XksKeyId"))
        {
            throw KmsErrors.Unsupported("This local KMS endpoint has no custom key stores.");
        }

        if (origin is not (KeyOrigins.AwsKms or KeyOrigins.External))
        {
            throw KmsErrors.Unsupported($"Origin {origin} requires a custom key store, which this local KMS endpoint does not have.");
        }

        if (keySpec != KeySpecs.SymmetricDefault && KeySpecs.RsaBits(keySpec) == 0)
        {
            throw KmsErrors.Unsupported($"This local KMS endpoint supports key specs SYMMETRIC_DEFAULT, RSA_2048, RSA_3072 and RSA_4096, not {keySpec}.");
        }

        if (keyUsage != KeyUsages.EncryptDecrypt)
        {
            throw KmsErrors.Unsupported($"This local KMS endpoint supports key usage ENCRYPT_DECRYPT only, not {keyUsage}.");
        }

        if (origin == KeyOrigins.External && keySpec != KeySpecs.SymmetricDefault)
        {
            throw KmsErrors.Unsupported("This local KMS endpoint imports key material into SYMMETRIC_DEFAULT keys only.");
        }

        TagOperations.Validate(tags);
        var keyId = Guid.NewGuid().ToString();
        if (policy is not null)
        {
            PolicyOperations.ValidatePolicy(policy);
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
        };

        if (origin == KeyOrigins.AwsKms)
        {
            var secret = keySpec == KeySpecs.SymmetricDefault
                ? RandomNumberGenerator.GetBytes(32)
                : context.Ring.OutsideGate(() => GenerateRsaPrivateKey(KeySpecs.RsaBits(keySpec)));
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

    private static byte[] GenerateRsaPrivateKey(int bits)
    {
        using var rsa = RSA.Create(bits);
        return rsa.ExportPkcs8PrivateKey();
    }
}
