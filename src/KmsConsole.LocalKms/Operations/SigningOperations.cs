using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>Sign, Verify and GetPublicKey with asymmetric keys. Messages pass through memory only and are never logged.</summary>
public static class SigningOperations
{
    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("Sign", Sign);
        catalog.Add("Verify", Verify);
        catalog.Add("GetPublicKey", GetPublicKey);
    }

    public static JsonObject Sign(KmsRequest request, OperationContext context)
    {
        var (key, arn, algorithm, message, isDigest) = Prepare(request, context, "Sign");
        var secret = KeyUsageRules.RequireSecret(key, arn);
        KeyUsageRules.DryRunStopsHere(request);
        var signature = Signatures.Sign(key.KeySpec, secret, algorithm, message, isDigest);
        return new JsonObject
        {
            ["KeyId"] = arn,
            ["Signature"] = AwsJson.Blob(signature),
            ["SigningAlgorithm"] = algorithm,
        };
    }

    public static JsonObject Verify(KmsRequest request, OperationContext context)
    {
        var signature = request.RequiredBlob("Signature", 1, 6144);
        var (key, arn, algorithm, message, isDigest) = Prepare(request, context, "Verify");
        var secret = KeyUsageRules.RequireSecret(key, arn);
        KeyUsageRules.DryRunStopsHere(request);

        // AWS answers a signature that does not verify with KMSInvalidSignatureException and no message.
        if (!Signatures.Verify(key.KeySpec, secret, algorithm, message, isDigest, signature))
        {
            throw KmsErrors.InvalidSignature("");
        }

        return new JsonObject
        {
            ["KeyId"] = arn,
            ["SignatureValid"] = true,
            ["SigningAlgorithm"] = algorithm,
        };
    }

    public static JsonObject GetPublicKey(KmsRequest request, OperationContext context)
    {
        var key = context.Ring.Resolve(request.RequiredString("KeyId", 1, 2048), context.Now, aliasesAccepted: true);
        var arn = context.Ring.KeyArn(key.KeyId);
        KeyStateRules.Require(key, "GetPublicKey", arn);
        if (!KeySpecs.IsAsymmetric(key.KeySpec))
        {
            throw KmsErrors.Unsupported($"{arn} key spec is {key.KeySpec}, which has no public key; GetPublicKey needs an asymmetric KMS key.");
        }

        var response = new JsonObject
        {
            ["KeyId"] = arn,
            ["PublicKey"] = AwsJson.Blob(KeyMaterial.PublicKey(key.KeySpec, KeyUsageRules.RequireSecret(key, arn))),
            ["CustomerMasterKeySpec"] = key.KeySpec,
            ["KeySpec"] = key.KeySpec,
            ["KeyUsage"] = key.KeyUsage,
        };
        KeyMetadataJson.AddAlgorithms(response, key);
        return response;
    }

    private static (KmsKey Key, string Arn, string Algorithm, byte[] Message, bool IsDigest) Prepare(KmsRequest request, OperationContext context, string operation)
    {
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var message = request.RequiredBlob("Message", 1, 4096);
        var messageType = request.OptionalEnum("MessageType", MessageTypes.All) ?? MessageTypes.Raw;
        var algorithm = request.RequiredEnum("SigningAlgorithm", SigningAlgorithmNames.All);
        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
        var arn = context.Ring.KeyArn(key.KeyId);
        KeyStateRules.Require(key, operation, arn);
        KeyUsageRules.RequireUsage(key, KeyUsages.SignVerify, operation, arn);
        KeyUsageRules.RequireAlgorithm(key, algorithm, KeySpecs.SigningAlgorithms(key.KeySpec, key.KeyUsage));
        RequireMessageType(algorithm, messageType, message);
        return (key, arn, algorithm, message, messageType == MessageTypes.Digest);
    }

    /// <summary>
    /// The API reference's MessageType rules: a DIGEST must be as long as the algorithm's hash ("Digest is invalid length
    /// for algorithm ECDSA_SHA_256.", AWS's words); ED25519_SHA_512 requires RAW and ED25519_PH_SHA_512 requires DIGEST;
    /// EXTERNAL_MU is ML-DSA's 64-byte representative μ.
    /// </summary>
    private static void RequireMessageType(string algorithm, string messageType, byte[] message)
    {
        switch (algorithm)
        {
            case SigningAlgorithmNames.Ed25519Sha512 when messageType != MessageTypes.Raw:
                throw KmsErrors.Validation($"The {algorithm} signing algorithm requires MessageType RAW.");
            case SigningAlgorithmNames.Ed25519PhSha512 when messageType != MessageTypes.Digest:
                throw KmsErrors.Validation($"The {algorithm} signing algorithm requires MessageType DIGEST.");
            case SigningAlgorithmNames.MlDsaShake256 when messageType == MessageTypes.Digest:
                throw KmsErrors.Validation($"The {algorithm} signing algorithm requires MessageType RAW or EXTERNAL_MU.");
            case SigningAlgorithmNames.MlDsaShake256 when messageType == MessageTypes.ExternalMu:
                if (message.Length != 64)
                {
                    throw KmsErrors.Validation($"Digest is invalid length for algorithm {algorithm}.");
                }

                throw KmsErrors.Unsupported("This local KMS endpoint signs ML-DSA messages of MessageType RAW only, not EXTERNAL_MU.");
            case not SigningAlgorithmNames.MlDsaShake256 when messageType == MessageTypes.ExternalMu:
                throw KmsErrors.Validation($"MessageType EXTERNAL_MU is valid only with the {SigningAlgorithmNames.MlDsaShake256} signing algorithm.");
        }

        if (messageType == MessageTypes.Digest && Signatures.DigestLength(algorithm) is { } length && message.Length != length)
        {
            throw KmsErrors.Validation($"Digest is invalid length for algorithm {algorithm}.");
        }
    }
}
