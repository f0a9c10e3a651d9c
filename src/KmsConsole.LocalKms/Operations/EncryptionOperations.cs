using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Encrypt, Decrypt, ReEncrypt and data keys. Plaintext passes through memory only and is never logged.</summary>
public static class EncryptionOperations
{
    private static readonly string[] EncryptionAlgorithms = EncryptionAlgorithmNames.All;

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("Encrypt", Encrypt);
        catalog.Add("Decrypt", Decrypt);
        catalog.Add("ReEncrypt", ReEncrypt);
        catalog.Add("GenerateDataKey", (request, context) => GenerateDataKey(request, context, includePlaintext: true));
        catalog.Add("GenerateDataKeyWithoutPlaintext", (request, context) => GenerateDataKey(request, context, includePlaintext: false));
    }

    public static JsonObject Encrypt(KmsRequest request, OperationContext context)
    {
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var plaintext = request.RequiredBlob("Plaintext", 1, 4096);
        var encryptionContext = request.OptionalStringMap("EncryptionContext");
        var algorithm = request.OptionalEnum("EncryptionAlgorithm", EncryptionAlgorithms) ?? "SYMMETRIC_DEFAULT";
        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
        KeyStateRules.Require(key, "Encrypt", context.Ring.KeyArn(key.KeyId));
        KeyUsageRules.RequireUsage(key, KeyUsages.EncryptDecrypt, "Encrypt", context.Ring.KeyArn(key.KeyId));
        RequireAlgorithmFits(key, algorithm);
        RequirePlaintextFits(key, algorithm, plaintext);
        DryRunStopsHere(request);

        var (ciphertext, _) = EncryptWith(key, algorithm, plaintext, encryptionContext, context);
        CryptographicOperations.ZeroMemory(plaintext);
        return new JsonObject
        {
            ["CiphertextBlob"] = AwsJson.Blob(ciphertext),
            ["KeyId"] = context.Ring.KeyArn(key.KeyId),
            ["EncryptionAlgorithm"] = algorithm,
        };
    }

    public static JsonObject Decrypt(KmsRequest request, OperationContext context)
    {
        var ciphertext = request.OptionalBlob("CiphertextBlob", 1, 6144)
            ?? throw KmsErrors.Validation("1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null");
        var encryptionContext = request.OptionalStringMap("EncryptionContext");
        var keyIdentifier = request.OptionalString("KeyId", 1, 2048);
        var algorithm = request.OptionalEnum("EncryptionAlgorithm", EncryptionAlgorithms) ?? "SYMMETRIC_DEFAULT";
        if (request.Has("Recipient"))
        {
            throw KmsErrors.Unsupported("This local KMS endpoint has no Nitro enclave attestation (Recipient).");
        }

        var (plaintext, key, material) = DecryptWith(ciphertext, encryptionContext, keyIdentifier, algorithm, "Decrypt", request, context);
        var response = new JsonObject
        {
            ["KeyId"] = context.Ring.KeyArn(key.KeyId),
            ["Plaintext"] = AwsJson.Blob(plaintext),
            ["EncryptionAlgorithm"] = algorithm,
        };
        if (material is not null)
        {
            response["KeyMaterialId"] = material.MaterialId;
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return response;
    }

    public static JsonObject ReEncrypt(KmsRequest request, OperationContext context)
    {
        var ciphertext = request.RequiredBlob("CiphertextBlob", 1, 6144);
        var sourceContext = request.OptionalStringMap("SourceEncryptionContext");
        var sourceKeyIdentifier = request.OptionalString("SourceKeyId", 1, 2048);
        var destinationKeyIdentifier = request.RequiredString("DestinationKeyId", 1, 2048);
        var destinationContext = request.OptionalStringMap("DestinationEncryptionContext");
        var sourceAlgorithm = request.OptionalEnum("SourceEncryptionAlgorithm", EncryptionAlgorithms) ?? "SYMMETRIC_DEFAULT";
        var destinationAlgorithm = request.OptionalEnum("DestinationEncryptionAlgorithm", EncryptionAlgorithms) ?? "SYMMETRIC_DEFAULT";

        var destination = context.Ring.Resolve(destinationKeyIdentifier, context.Now, aliasesAccepted: true);
        var (plaintext, source, sourceMaterial) = DecryptWith(ciphertext, sourceContext, sourceKeyIdentifier, sourceAlgorithm, "ReEncrypt", request, context);
        try
        {
            KeyStateRules.Require(destination, "ReEncrypt", context.Ring.KeyArn(destination.KeyId));
            KeyUsageRules.RequireUsage(destination, KeyUsages.EncryptDecrypt, "ReEncrypt", context.Ring.KeyArn(destination.KeyId));
            RequireAlgorithmFits(destination, destinationAlgorithm);
            RequirePlaintextFits(destination, destinationAlgorithm, plaintext);
            DryRunStopsHere(request);
            var (reencrypted, destinationMaterial) = EncryptWith(destination, destinationAlgorithm, plaintext, destinationContext, context);
            var response = new JsonObject
            {
                ["CiphertextBlob"] = AwsJson.Blob(reencrypted),
                ["SourceKeyId"] = context.Ring.KeyArn(source.KeyId),
                ["KeyId"] = context.Ring.KeyArn(destination.KeyId),
                ["SourceEncryptionAlgorithm"] = sourceAlgorithm,
                ["DestinationEncryptionAlgorithm"] = destinationAlgorithm,
            };
            if (sourceMaterial is not null)
            {
                response["SourceKeyMaterialId"] = sourceMaterial.MaterialId;
            }

            if (destinationMaterial is not null)
            {
                response["DestinationKeyMaterialId"] = destinationMaterial.MaterialId;
            }

            return response;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public static JsonObject GenerateDataKey(KmsRequest request, OperationContext context, bool includePlaintext)
    {
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var encryptionContext = request.OptionalStringMap("EncryptionContext");
        var numberOfBytes = request.OptionalInt("NumberOfBytes", 1, 1024);
        var keySpec = request.OptionalEnum("KeySpec", "AES_256", "AES_128");
        if (request.Has("Recipient"))
        {
            throw KmsErrors.Unsupported("This local KMS endpoint has no Nitro enclave attestation (Recipient).");
        }

        if (numberOfBytes is null == keySpec is null)
        {
            throw KmsErrors.Validation("Please specify either number of bytes or key spec.");
        }

        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
        var operation = includePlaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext";
        KeyStateRules.Require(key, operation, context.Ring.KeyArn(key.KeyId));
        KeyUsageRules.RequireUsage(key, KeyUsages.EncryptDecrypt, operation, context.Ring.KeyArn(key.KeyId));
        if (!key.IsSymmetric)
        {
            throw KmsErrors.InvalidKeyUsage($"{context.Ring.KeyArn(key.KeyId)} key usage is ENCRYPT_DECRYPT with key spec {key.KeySpec}, which cannot generate data keys; use a symmetric encryption key.");
        }

        DryRunStopsHere(request);
        var dataKey = RandomNumberGenerator.GetBytes(numberOfBytes ?? (keySpec == "AES_128" ? 16 : 32));
        try
        {
            var (ciphertext, material) = EncryptWith(key, "SYMMETRIC_DEFAULT", dataKey, encryptionContext, context);
            var response = new JsonObject
            {
                ["CiphertextBlob"] = AwsJson.Blob(ciphertext),
                ["KeyId"] = context.Ring.KeyArn(key.KeyId),
            };
            if (includePlaintext)
            {
                response["Plaintext"] = AwsJson.Blob(dataKey);
            }

            if (material is not null)
            {
                response["KeyMaterialId"] = material.MaterialId;
            }

            return response;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    internal static (byte[] Ciphertext, KeyMaterialVersion? Material) EncryptWith(KmsKey key, string algorithm, byte[] plaintext, IReadOnlyDictionary<string, string> encryptionContext, OperationContext context)
    {
        var material = key.CurrentMaterial;
        if (material?.Secret is null)
        {
            throw KmsErrors.InvalidState($"{context.Ring.KeyArn(key.KeyId)} is pending import.");
        }

        if (key.IsSymmetric)
        {
            return (CiphertextBlob.Seal(key.KeyId, material.MaterialId, material.Secret, plaintext, encryptionContext), material);
        }

        if (encryptionContext.Count > 0)
        {
            throw KmsErrors.Validation("EncryptionContext is not supported with asymmetric KMS keys.");
        }

        RequirePlaintextFits(key, algorithm, plaintext);
        return (ParsedKeys.Rsa(material.Secret).Encrypt(plaintext, Padding(algorithm)), null);
    }

    private static (byte[] Plaintext, KmsKey Key, KeyMaterialVersion? Material) DecryptWith(
        byte[] ciphertext, IReadOnlyDictionary<string, string> encryptionContext, string? keyIdentifier, string algorithm, string operation, KmsRequest request, OperationContext context)
    {
        var named = keyIdentifier is null ? null : context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
        if (algorithm != "SYMMETRIC_DEFAULT")
        {
            // Asymmetric ciphertexts carry no key id: the caller names the key.
            if (named is null)
            {
                throw KmsErrors.Validation("KeyId is required to decrypt with an asymmetric encryption algorithm.");
            }

            KeyStateRules.Require(named, operation, context.Ring.KeyArn(named.KeyId));
            KeyUsageRules.RequireUsage(named, KeyUsages.EncryptDecrypt, operation, context.Ring.KeyArn(named.KeyId));
            RequireAlgorithmFits(named, algorithm);
            var privateKey = KeyUsageRules.RequireSecret(named, context.Ring.KeyArn(named.KeyId));
            DryRunStopsHereUnlessReEncrypt(request, operation);
            try
            {
                return (ParsedKeys.Rsa(privateKey).Decrypt(ciphertext, Padding(algorithm)), named, null);
            }
            catch (CryptographicException)
            {
                throw KmsErrors.InvalidCiphertext("The ciphertext is invalid for this key and algorithm.");
            }
        }

        var header = CiphertextBlob.ReadHeader(ciphertext) ?? throw KmsErrors.InvalidCiphertext("The ciphertext is not a valid KMS ciphertext.");
        var key = context.Ring.Find(header.KeyId, context.Now) ?? throw KmsErrors.InvalidCiphertext("The ciphertext refers to a KMS key that does not exist in this account and Region.");
        if (named is not null && named.KeyId != key.KeyId)
        {
            // AWS's words, "CMK" and all (LocalStack's AWS-recorded snapshots).
            throw KmsErrors.IncorrectKey("The key ID in the request does not identify a CMK that can perform this operation.");
        }

        KeyStateRules.Require(key, operation, context.Ring.KeyArn(key.KeyId));
        if (!key.IsSymmetric)
        {
            throw KmsErrors.InvalidCiphertext("The ciphertext is not a valid KMS ciphertext.");
        }

        var material = key.FindMaterial(header.MaterialId) ?? throw KmsErrors.InvalidCiphertext("The ciphertext refers to key material this KMS key does not have.");
        if (material.Secret is null)
        {
            throw KmsErrors.InvalidState($"{context.Ring.KeyArn(key.KeyId)} is pending import.");
        }

        DryRunStopsHereUnlessReEncrypt(request, operation);
        var plaintext = CiphertextBlob.Open(ciphertext, material.Secret, encryptionContext)
            ?? throw KmsErrors.InvalidCiphertext("The ciphertext is invalid, or the encryption context does not match.");
        return (plaintext, key, material);
    }

    private static void RequireAlgorithmFits(KmsKey key, string algorithm) =>
        KeyUsageRules.RequireAlgorithm(key, algorithm, KeySpecs.EncryptionAlgorithms(key.KeySpec, key.KeyUsage));

    /// <summary>
    /// RSAES-OAEP takes at most k - 2·hLen - 2 bytes (RFC 8017 7.1.1); AWS words the bound
    /// "Algorithm RSAES_OAEP_SHA_1 and key spec RSA_2048 cannot encrypt data larger than 214 bytes.".
    /// </summary>
    private static void RequirePlaintextFits(KmsKey key, string algorithm, byte[] plaintext)
    {
        if (KeySpecs.FamilyOf(key.KeySpec) != KeyFamily.Rsa)
        {
            return;
        }

        var hashLength = algorithm == EncryptionAlgorithmNames.RsaesOaepSha1 ? 20 : 32;
        var largest = (KeySpecs.RsaBits(key.KeySpec) / 8) - (2 * hashLength) - 2;
        if (plaintext.Length > largest)
        {
            throw KmsErrors.Validation($"Algorithm {algorithm} and key spec {key.KeySpec} cannot encrypt data larger than {largest} bytes.");
        }
    }

    private static RSAEncryptionPadding Padding(string algorithm) =>
        algorithm == "RSAES_OAEP_SHA_1" ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256;

    private static void DryRunStopsHere(KmsRequest request)
    {
        if (request.OptionalBool("DryRun"))
        {
            throw KmsErrors.DryRun("The request would have succeeded, but the DryRun option is set.");
        }
    }

    private static void DryRunStopsHereUnlessReEncrypt(KmsRequest request, string operation)
    {
        if (operation == "Decrypt")
        {
            DryRunStopsHere(request);
        }
    }
}
