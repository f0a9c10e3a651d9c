using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// Encapsulate and Decapsulate (ML-KEM, FIPS 203, with BouncyCastle) with an ENCAPSULATE_DECAPSULATE key, as the AWS SDK
/// 4.1 model describes them: Encapsulate returns a 32-byte shared secret and its ciphertext under the key's public key;
/// Decapsulate recovers it. A ciphertext whose length does not fit the key spec is InvalidCiphertextException; any other
/// ciphertext gives a pseudo-random secret (ML-KEM's implicit rejection), as the model says.
/// </summary>
public static class KeyEncapsulationOperations
{
    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("Encapsulate", Encapsulate);
        catalog.Add("Decapsulate", Decapsulate);
    }

    public static JsonObject Encapsulate(KmsRequest request, OperationContext context)
    {
        var (key, arn, algorithm) = Resolve(request, context, "Encapsulate");
        var privateKey = PrivateKey(key, arn);
        KeyUsageRules.DryRunStopsHere(request);

        var encapsulator = new MLKemEncapsulator(privateKey.Parameters);
        encapsulator.Init(new ParametersWithRandom(privateKey.GetPublicKey(), new SecureRandom()));
        var ciphertext = new byte[encapsulator.EncapsulationLength];
        var secret = new byte[encapsulator.SecretLength];
        encapsulator.Encapsulate(ciphertext, 0, ciphertext.Length, secret, 0, secret.Length);
        try
        {
            return new JsonObject
            {
                ["KeyId"] = arn,
                ["SharedSecret"] = AwsJson.Blob(secret),
                ["SharedSecretCiphertextBlob"] = AwsJson.Blob(ciphertext),
                ["EncapsulationAlgorithm"] = algorithm,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    public static JsonObject Decapsulate(KmsRequest request, OperationContext context)
    {
        var ciphertext = request.RequiredBlob("SharedSecretCiphertextBlob", 1, 6144);
        var (key, arn, algorithm) = Resolve(request, context, "Decapsulate");
        var privateKey = PrivateKey(key, arn);
        var decapsulator = new MLKemDecapsulator(privateKey.Parameters);
        decapsulator.Init(privateKey);
        if (ciphertext.Length != decapsulator.EncapsulationLength)
        {
            throw KmsErrors.InvalidCiphertext("");
        }

        KeyUsageRules.DryRunStopsHere(request);
        var secret = new byte[decapsulator.SecretLength];
        decapsulator.Decapsulate(ciphertext, 0, ciphertext.Length, secret, 0, secret.Length);
        try
        {
            return new JsonObject
            {
                ["KeyId"] = arn,
                ["SharedSecret"] = AwsJson.Blob(secret),
                ["EncapsulationAlgorithm"] = algorithm,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static (KmsKey Key, string Arn, string Algorithm) Resolve(KmsRequest request, OperationContext context, string operation)
    {
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var algorithm = request.RequiredEnum("EncapsulationAlgorithm", EncapsulationAlgorithmNames.MlKem);
        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
        var arn = context.Ring.KeyArn(key.KeyId);
        KeyStateRules.Require(key, operation, arn);
        KeyUsageRules.RequireUsage(key, KeyUsages.EncapsulateDecapsulate, operation, arn);
        return (key, arn, algorithm);
    }

    private static MLKemPrivateKeyParameters PrivateKey(KmsKey key, string arn) =>
        (MLKemPrivateKeyParameters)KeyMaterial.BouncyCastlePrivateKey(KeyUsageRules.RequireSecret(key, arn));
}
