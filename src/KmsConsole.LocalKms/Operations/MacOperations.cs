using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace KmsConsole.LocalKms.Operations;

/// <summary>GenerateMac and VerifyMac with HMAC keys (RFC 2104), as KMS computes them.</summary>
public static class MacOperations
{
    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("GenerateMac", GenerateMac);
        catalog.Add("VerifyMac", VerifyMac);
    }

    public static JsonObject GenerateMac(KmsRequest request, OperationContext context)
    {
        var (key, arn, algorithm, message) = Prepare(request, context, "GenerateMac");
        var secret = KeyUsageRules.RequireSecret(key, arn);
        KeyUsageRules.DryRunStopsHere(request);
        return new JsonObject
        {
            ["Mac"] = AwsJson.Blob(Compute(algorithm, secret, message)),
            ["MacAlgorithm"] = algorithm,
            ["KeyId"] = arn,
        };
    }

    public static JsonObject VerifyMac(KmsRequest request, OperationContext context)
    {
        var mac = request.RequiredBlob("Mac", 1, 6144);
        var (key, arn, algorithm, message) = Prepare(request, context, "VerifyMac");
        var secret = KeyUsageRules.RequireSecret(key, arn);
        KeyUsageRules.DryRunStopsHere(request);

        // AWS answers a MAC that does not match with KMSInvalidMacException and no message.
        if (!CryptographicOperations.FixedTimeEquals(Compute(algorithm, secret, message), mac))
        {
            throw KmsErrors.InvalidMac("");
        }

        return new JsonObject
        {
            ["KeyId"] = arn,
            ["MacValid"] = true,
            ["MacAlgorithm"] = algorithm,
        };
    }

    public static byte[] Compute(string algorithm, byte[] secret, byte[] message) => algorithm switch
    {
        MacAlgorithmNames.HmacSha224 => HmacSha224(secret, message),
        MacAlgorithmNames.HmacSha256 => HMACSHA256.HashData(secret, message),
        MacAlgorithmNames.HmacSha384 => HMACSHA384.HashData(secret, message),
        _ => HMACSHA512.HashData(secret, message),
    };

    private static (KmsKey Key, string Arn, string Algorithm, byte[] Message) Prepare(KmsRequest request, OperationContext context, string operation)
    {
        var message = request.RequiredBlob("Message", 1, 4096);
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var algorithm = request.RequiredEnum("MacAlgorithm", MacAlgorithmNames.All);
        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
        var arn = context.Ring.KeyArn(key.KeyId);
        KeyStateRules.Require(key, operation, arn);
        KeyUsageRules.RequireUsage(key, KeyUsages.GenerateVerifyMac, operation, arn);
        KeyUsageRules.RequireAlgorithm(key, algorithm, KeySpecs.MacAlgorithms(key.KeySpec, key.KeyUsage));
        return (key, arn, algorithm, message);
    }

    /// <summary>HMAC-SHA-224 (RFC 2104 over SHA-224): .NET has no SHA-224, BouncyCastle's HMac does it.</summary>
    private static byte[] HmacSha224(byte[] secret, byte[] message)
    {
        var hmac = new HMac(new Sha224Digest());
        hmac.Init(new KeyParameter(secret));
        hmac.BlockUpdate(message, 0, message.Length);
        var result = new byte[hmac.GetMacSize()];
        hmac.DoFinal(result, 0);
        return result;
    }
}
