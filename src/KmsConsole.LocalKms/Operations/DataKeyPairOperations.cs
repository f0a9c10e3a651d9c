using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: a fresh key pair for use outside KMS, its private key
/// (DER PKCS#8) encrypted under a symmetric encryption KMS key. The usage rules of KMS keys do not bind data key pairs
/// (the model's KeyPairSpec text), so any KeyPairSpec of the enum is generated, SM2 aside outside China Regions.
/// </summary>
public static class DataKeyPairOperations
{
    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("GenerateDataKeyPair", (request, context) => GenerateDataKeyPair(request, context, includePlaintext: true));
        catalog.Add("GenerateDataKeyPairWithoutPlaintext", (request, context) => GenerateDataKeyPair(request, context, includePlaintext: false));
    }

    public static JsonObject GenerateDataKeyPair(KmsRequest request, OperationContext context, bool includePlaintext)
    {
        var operation = includePlaintext ? "GenerateDataKeyPair" : "GenerateDataKeyPairWithoutPlaintext";
        var encryptionContext = request.OptionalStringMap("EncryptionContext");
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var keyPairSpec = request.RequiredEnum("KeyPairSpec", KeySpecs.DataKeyPairSpecs);
        if (includePlaintext && request.Has("Recipient"))
        {
            throw KmsErrors.Unsupported("This local KMS endpoint has no Nitro enclave attestation (Recipient).");
        }

        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
        var arn = context.Ring.KeyArn(key.KeyId);
        KeyStateRules.Require(key, operation, arn);
        KeyUsageRules.RequireUsage(key, KeyUsages.EncryptDecrypt, operation, arn);
        if (!key.IsSymmetric)
        {
            throw KmsErrors.InvalidKeyUsage($"{arn} key spec is {key.KeySpec}; {operation} encrypts the private key under a symmetric encryption KMS key.");
        }

        Regions.RefuseSm2(keyPairSpec);
        KeyUsageRules.DryRunStopsHere(request);

        // An RSA 4096 pair takes a while to generate: do it without holding up other requests.
        var privateKey = context.Ring.OutsideGate(() => KeyMaterial.Generate(keyPairSpec));
        try
        {
            // The key ring may have changed while the gate was released: read the key again.
            key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
            KeyStateRules.Require(key, operation, arn);
            var (ciphertext, material) = EncryptionOperations.EncryptWith(key, EncryptionAlgorithmNames.SymmetricDefault, privateKey, encryptionContext, context);
            var response = new JsonObject
            {
                ["PrivateKeyCiphertextBlob"] = AwsJson.Blob(ciphertext),
                ["PublicKey"] = AwsJson.Blob(KeyMaterial.PublicKey(keyPairSpec, privateKey)),
                ["KeyId"] = arn,
                ["KeyPairSpec"] = keyPairSpec,
            };
            if (includePlaintext)
            {
                response["PrivateKeyPlaintext"] = AwsJson.Blob(privateKey);
            }

            if (material is not null)
            {
                response["KeyMaterialId"] = material.MaterialId;
            }

            return response;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }
}
