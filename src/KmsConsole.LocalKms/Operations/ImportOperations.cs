using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Importing key material into keys of origin EXTERNAL, re-importing it, and deleting it.</summary>
public static partial class ImportOperations
{
    public static readonly TimeSpan ImportTokenLifetime = TimeSpan.FromHours(24);
    public static readonly TimeSpan LongestValidTo = TimeSpan.FromDays(365);

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("GetParametersForImport", GetParametersForImport);
        catalog.Add("ImportKeyMaterial", ImportKeyMaterial);
        catalog.Add("DeleteImportedKeyMaterial", DeleteImportedKeyMaterial);
    }

    public static JsonObject GetParametersForImport(KmsRequest request, OperationContext context)
    {
        var algorithm = request.RequiredEnum("WrappingAlgorithm", ImportUnwrapping.Algorithms);
        var wrappingKeySpec = request.RequiredEnum("WrappingKeySpec", "RSA_2048", "RSA_3072", "RSA_4096", "SM2");
        var key = ExternalKey(request, context, "GetParametersForImport");
        if (algorithm == "SM2PKE" || wrappingKeySpec == "SM2")
        {
            throw KmsErrors.Unsupported("SM2 wrapping is available only in China Regions.");
        }

        if (algorithm == ImportUnwrapping.RetiredPkcs1)
        {
            // Still in the API's enum, but "As of October 10, 2023, KMS does not support the RSAES_PKCS1_V1_5 wrapping algorithm."
            throw KmsErrors.Unsupported("KMS does not support the RSAES_PKCS1_V1_5 wrapping algorithm since October 10, 2023. " +
                "Use RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.");
        }

        // Generating a 4096-bit wrapping key takes a while: do it without holding up other requests.
        var (privateKey, publicKey) = context.Ring.OutsideGate(() =>
        {
            using var rsa = RSA.Create(KeySpecs.RsaBits(wrappingKeySpec));
            return (rsa.ExportPkcs8PrivateKey(), rsa.ExportSubjectPublicKeyInfo());
        });
        var validTo = context.Now + ImportTokenLifetime;
        try
        {
            var token = context.ImportTokens.Issue(new ImportTokens.Contents(key.KeyId, algorithm, validTo, privateKey));
            return new JsonObject
            {
                ["KeyId"] = context.Ring.KeyArn(key.KeyId),
                ["ImportToken"] = AwsJson.Blob(token),
                ["PublicKey"] = AwsJson.Blob(publicKey),
                ["ParametersValidTo"] = AwsJson.Timestamp(validTo),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    public static JsonObject ImportKeyMaterial(KmsRequest request, OperationContext context)
    {
        var tokenBytes = request.RequiredBlob("ImportToken", 1, 6144);
        var wrapped = request.RequiredBlob("EncryptedKeyMaterial", 1, 6144);
        var validTo = request.OptionalTimestamp("ValidTo");
        var expirationModel = request.OptionalEnum("ExpirationModel", ExpirationModels.Expires, ExpirationModels.DoesNotExpire) ?? ExpirationModels.Expires;
        var importType = request.OptionalEnum("ImportType", "NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL");
        var description = request.OptionalString("KeyMaterialDescription", 0, 256);
        var requestedMaterialId = request.OptionalString("KeyMaterialId", 64, 64);
        if (!string.IsNullOrEmpty(description))
        {
            KmsRequest.RequirePattern("KeyMaterialDescription", description, DescriptionPattern());
        }

        var key = ExternalKey(request, context, "ImportKeyMaterial");
        var arn = context.Ring.KeyArn(key.KeyId);
        ValidateExpiration(expirationModel, validTo, context.Now);

        var token = context.ImportTokens.Read(tokenBytes) ?? throw KmsErrors.InvalidImportToken("The import token is invalid.");
        if (token.KeyId != key.KeyId)
        {
            throw KmsErrors.InvalidImportToken($"The import token was issued for another KMS key, not {arn}.");
        }

        if (token.ValidTo <= context.Now)
        {
            throw KmsErrors.ExpiredImportToken("The import token has expired; call GetParametersForImport for a new one.");
        }

        var material = ImportUnwrapping.Unwrap(token.WrappingAlgorithm, token.PrivateKeyPkcs8, wrapped)
            ?? throw KmsErrors.InvalidCiphertext($"The key material was not encrypted with the public key and wrapping algorithm ({token.WrappingAlgorithm}) of this import token.");
        if (!KeyMaterial.Fits(key.KeySpec, material))
        {
            CryptographicOperations.ZeroMemory(material);
            throw KmsErrors.IncorrectKeyMaterial(ImportedMaterialRules.Expected(key.KeySpec));
        }

        var materialId = KeyMaterialIds.Derive(key.KeyId, material);
        var wasPendingImport = key.State == KeyStates.PendingImport;
        importType ??= key.Materials.Count == 0 ? "NEW_KEY_MATERIAL" : "EXISTING_KEY_MATERIAL";
        KeyMaterialVersion target;
        if (importType == "NEW_KEY_MATERIAL" && key.Materials.Count > 0 && !key.IsSymmetric)
        {
            // Only symmetric encryption keys rotate on demand, so only they take a second, different key material.
            CryptographicOperations.ZeroMemory(material);
            throw KmsErrors.Unsupported($"{arn} has key spec {key.KeySpec}; only symmetric encryption KMS keys take new key material (ImportType NEW_KEY_MATERIAL) after their first.");
        }

        if (importType == "NEW_KEY_MATERIAL")
        {
            if (requestedMaterialId is not null)
            {
                CryptographicOperations.ZeroMemory(material);
                throw KmsErrors.Validation("You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.");
            }

            if (key.FindMaterial(materialId) is not null)
            {
                CryptographicOperations.ZeroMemory(material);
                throw KmsErrors.IncorrectKeyMaterial($"This key material is already associated with {arn}; import it with ImportType EXISTING_KEY_MATERIAL.");
            }

            // One material at a time waits for RotateKeyOnDemand; AWS's words (LocalStack's AWS-recorded snapshot) name the key by id.
            if (key.Materials.FirstOrDefault(m => m.State == KeyMaterialStates.PendingRotation) is { } pending)
            {
                CryptographicOperations.ZeroMemory(material);
                throw KmsErrors.InvalidState(
                    $"New key material (id: {materialId}) cannot be imported into KMS key {key.KeyId}, because another key material (id: {pending.MaterialId}) is pending rotation.");
            }
            target = new KeyMaterialVersion
            {
                MaterialId = materialId,
                CreatedAt = context.Now,
                State = key.Materials.Count == 0 ? KeyMaterialStates.Current : KeyMaterialStates.PendingRotation,
            };
            key.Materials.Add(target);
        }
        else
        {
            if (requestedMaterialId is not null && !string.Equals(requestedMaterialId, materialId, StringComparison.OrdinalIgnoreCase))
            {
                CryptographicOperations.ZeroMemory(material);
                throw KmsErrors.IncorrectKeyMaterial($"The key material does not match key material id {requestedMaterialId} of {arn}.");
            }

            target = key.FindMaterial(materialId) ?? throw Incorrect(material, arn);
        }

        if (target.Secret is not null)
        {
            ParsedKeys.Forget(target.Secret);
            CryptographicOperations.ZeroMemory(target.Secret);
        }

        target.Secret = material;
        target.ImportState = ImportStates.Imported;
        target.ExpirationModel = expirationModel;
        target.ValidTo = expirationModel == ExpirationModels.Expires ? validTo : null;
        if (description is not null)
        {
            target.Description = description;
        }

        if (wasPendingImport && key.State != KeyStates.PendingImport)
        {
            key.Enabled = true;
        }

        context.Ring.Save(key);

        // KMS names key materials (KeyMaterialId) of symmetric encryption keys only.
        var response = new JsonObject { ["KeyId"] = arn };
        if (key.IsSymmetric)
        {
            response["KeyMaterialId"] = materialId;
        }

        return response;
    }

    public static JsonObject DeleteImportedKeyMaterial(KmsRequest request, OperationContext context)
    {
        var materialId = request.OptionalString("KeyMaterialId", 64, 64);
        var key = ExternalKey(request, context, "DeleteImportedKeyMaterial");
        var arn = context.Ring.KeyArn(key.KeyId);
        var material = materialId is null ? key.CurrentMaterial : key.FindMaterial(materialId);
        if (material is null && materialId is null)
        {
            // A key still waiting for its first import: deleting "its" material has no effect.
            return new JsonObject { ["KeyId"] = arn };
        }

        if (material is null)
        {
            throw KmsErrors.NotFound($"Key material {materialId} is not associated with {arn}.");
        }

        if (material.State == KeyMaterialStates.PendingRotation)
        {
            key.Materials.Remove(material);
            KeyRing.ForgetSecret(material);
        }
        else
        {
            KeyRing.ForgetSecret(material);
            material.ExpirationModel = null;
            material.ValidTo = null;
        }

        context.Ring.Save(key);
        return new JsonObject { ["KeyId"] = arn, ["KeyMaterialId"] = material.MaterialId };
    }

    private static KmsKey ExternalKey(KmsRequest request, OperationContext context, string operation)
    {
        // The origin check comes first: a key that cannot have imported material is UnsupportedOperation in any state.
        var key = context.Ring.Resolve(request.RequiredString("KeyId", 1, 2048), context.Now, aliasesAccepted: false);
        if (!key.IsExternal)
        {
            throw KmsErrors.Unsupported($"{context.Ring.KeyArn(key.KeyId)} origin is {key.Origin} which is not valid for this operation.");
        }

        KeyStateRules.Require(key, operation, context.Ring.KeyArn(key.KeyId));
        return key;
    }

    private static void ValidateExpiration(string expirationModel, DateTimeOffset? validTo, DateTimeOffset now)
    {
        if (expirationModel == ExpirationModels.Expires)
        {
            if (validTo is null)
            {
                // AWS's words (LocalStack's AWS-recorded snapshot).
                throw KmsErrors.Validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
            }

            if (validTo <= now)
            {
                throw KmsErrors.Validation("ValidTo must be a date and time in the future.");
            }

            if (validTo > now + LongestValidTo)
            {
                throw KmsErrors.Validation("ValidTo can be at most 365 days from the request date.");
            }
        }
        else if (validTo is not null)
        {
            throw KmsErrors.Validation("ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.");
        }
    }

    private static KmsException Incorrect(byte[] material, string arn)
    {
        CryptographicOperations.ZeroMemory(material);
        return KmsErrors.IncorrectKeyMaterial($"The key material is different from the key material previously imported into {arn}.");
    }

    [GeneratedRegex(@"^[a-zA-Z0-9:/_\s.-]+$")]
    private static partial Regex DescriptionPattern();
}
