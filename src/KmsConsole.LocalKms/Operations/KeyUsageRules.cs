using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// What a key's usage and spec allow, checked after its key state, with AWS's words (LocalStack's AWS-recorded snapshots):
/// a key of another usage is InvalidKeyUsageException "&lt;ARN&gt; key usage is SIGN_VERIFY which is not valid for Encrypt.",
/// an algorithm the key spec does not offer is InvalidKeyUsageException "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.".
/// </summary>
public static class KeyUsageRules
{
    public static void RequireUsage(KmsKey key, string keyUsage, string operation, string keyArn)
    {
        if (key.KeyUsage != keyUsage)
        {
            throw KmsErrors.InvalidKeyUsage($"{keyArn} key usage is {key.KeyUsage} which is not valid for {operation}.");
        }
    }

    public static void RequireAlgorithm(KmsKey key, string algorithm, IReadOnlyList<string> offered)
    {
        if (!offered.Contains(algorithm))
        {
            throw KmsErrors.InvalidKeyUsage($"Algorithm {algorithm} is incompatible with key spec {key.KeySpec}.");
        }
    }

    /// <summary>Cryptographic use needs the key's material; a key whose imported material is gone is pending import.</summary>
    public static byte[] RequireSecret(KmsKey key, string keyArn) =>
        key.CurrentMaterial?.Secret ?? throw KmsErrors.InvalidState($"{keyArn} is pending import.");

    public static void DryRunStopsHere(KmsRequest request)
    {
        if (request.OptionalBool("DryRun"))
        {
            throw KmsErrors.DryRun("The request would have succeeded, but the DryRun option is set.");
        }
    }
}
