using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// DeriveSharedSecret (ECDH with a KEY_AGREEMENT key's private key and a peer's public key) and GenerateRandom.
/// The shared secret is the raw ECDH secret (the x-coordinate, SP 800-56A), the value OpenSSL's pkeyutl -derive gives.
/// </summary>
public static class KeyAgreementOperations
{
    public const string Ecdh = "ECDH";

    public static void Register(OperationCatalog catalog)
    {
        catalog.Add("DeriveSharedSecret", DeriveSharedSecret);
        catalog.Add("GenerateRandom", GenerateRandom);
    }

    public static JsonObject DeriveSharedSecret(KmsRequest request, OperationContext context)
    {
        var keyIdentifier = request.RequiredString("KeyId", 1, 2048);
        var algorithm = request.RequiredEnum("KeyAgreementAlgorithm", Ecdh);
        var peerPublicKey = request.RequiredBlob("PublicKey", 1, 8192);
        if (request.Has("Recipient"))
        {
            throw KmsErrors.Unsupported("This local KMS endpoint has no Nitro enclave attestation (Recipient).");
        }

        var key = context.Ring.Resolve(keyIdentifier, context.Now, aliasesAccepted: true);
        var arn = context.Ring.KeyArn(key.KeyId);
        KeyStateRules.Require(key, "DeriveSharedSecret", arn);
        KeyUsageRules.RequireUsage(key, KeyUsages.KeyAgreement, "DeriveSharedSecret", arn);
        var secret = KeyUsageRules.RequireSecret(key, arn);

        using var peer = ECDiffieHellman.Create();
        try
        {
            peer.ImportSubjectPublicKeyInfo(peerPublicKey, out var read);
            if (read != peerPublicKey.Length)
            {
                throw new CryptographicException("Trailing bytes after the public key.");
            }
        }
        catch (CryptographicException)
        {
            // AWS answers a public key that is not a DER SubjectPublicKeyInfo with a ValidationException and no message.
            throw KmsErrors.Validation("");
        }

        var own = ParsedKeys.Ecdh(secret);
        if (peer.ExportParameters(false).Curve.Oid.Value != own.ExportParameters(false).Curve.Oid.Value)
        {
            throw KmsErrors.Validation($"The public key is not on the curve of {arn}, whose key spec is {key.KeySpec}.");
        }

        KeyUsageRules.DryRunStopsHere(request);
        var shared = own.DeriveRawSecretAgreement(peer.PublicKey);
        try
        {
            return new JsonObject
            {
                ["KeyId"] = arn,
                ["SharedSecret"] = AwsJson.Blob(shared),
                ["KeyAgreementAlgorithm"] = algorithm,
                ["KeyOrigin"] = key.Origin,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    public static JsonObject GenerateRandom(KmsRequest request, OperationContext context)
    {
        var numberOfBytes = request.OptionalInt("NumberOfBytes", 1, 1024);
        if (request.Has("CustomKeyStoreId"))
        {
            request.RequiredString("CustomKeyStoreId", 1, 64);

            // This endpoint has no custom key stores, as AWS answers an account that has none.
            throw KmsErrors.CustomKeyStoreNotFound("");
        }

        if (request.Has("Recipient"))
        {
            throw KmsErrors.Unsupported("This local KMS endpoint has no Nitro enclave attestation (Recipient).");
        }

        // AWS's words when the member is missing (LocalStack's AWS-recorded snapshot); there is no default length.
        var bytes = RandomNumberGenerator.GetBytes(numberOfBytes ?? throw KmsErrors.Validation("NumberOfBytes is required."));
        try
        {
            return new JsonObject { ["Plaintext"] = AwsJson.Blob(bytes) };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
