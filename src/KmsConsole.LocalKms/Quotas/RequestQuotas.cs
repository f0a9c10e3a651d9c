using System.Text.Json;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Quotas;

/// <summary>
/// Per-second request quotas as AWS KMS documents them (Request quotas, AWS KMS Developer Guide).
/// Each quota is a token bucket refilled at its rate and holding at most one second of requests.
/// </summary>
public sealed class RequestQuotas(QuotaOptions options, TimeProvider time)
{
    /// <summary>Cryptographic operations with symmetric and HMAC keys (and GenerateRandom, which names no key) share one quota.</summary>
    public const string SymmetricCryptographic = "CryptographicOperationsSymmetric";

    /// <summary>Cryptographic operations with RSA keys share one quota, calculated apart from the other key types'.</summary>
    public const string RsaCryptographic = "CryptographicOperationsRsa";

    /// <summary>Cryptographic operations with elliptic curve keys (ECC_NIST_*, ECC_SECG_P256K1, ECC_NIST_EDWARDS25519, SM2) share one quota.</summary>
    public const string EccCryptographic = "CryptographicOperationsEcc";

    /// <summary>Cryptographic operations with ML-DSA keys share one quota.</summary>
    public const string MlDsaCryptographic = "CryptographicOperationsMlDsa";

    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>
    /// Default requests per second, by quota name, from the "Request quotas for each AWS KMS API operation" table of the
    /// AWS KMS Developer Guide (awsdocs/aws-kms-developer-guide, doc_source/requests-per-second.md). The symmetric
    /// quotas shared by the cryptographic operations follow the current page (read 2026-12-04): 10,000 for symmetric keys (the
    /// lowest regional default; some Regions have 20,000 or more), 1,000 each for RSA, elliptic curve and ML-DSA keys.
    /// Operations the table does not list (ListKeyRotations, RotateKeyOnDemand) are not limited here.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> Documented = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        [SymmetricCryptographic] = 10_000,
        [RsaCryptographic] = 1_000,
        [EccCryptographic] = 1_000,
        [MlDsaCryptographic] = 1_000,
        ["CancelKeyDeletion"] = 5,
        ["CreateAlias"] = 5,
        ["CreateKey"] = 5,
        ["DeleteAlias"] = 5,
        ["DeleteImportedKeyMaterial"] = 5,
        ["DescribeKey"] = 100,
        ["DisableKey"] = 5,
        ["DisableKeyRotation"] = 5,
        ["EnableKey"] = 5,
        ["EnableKeyRotation"] = 5,
        ["GetKeyPolicy"] = 30,
        ["GetKeyRotationStatus"] = 30,
        ["GetParametersForImport"] = 0.25,
        ["ImportKeyMaterial"] = 5,
        ["ListAliases"] = 100,
        ["ListKeys"] = 100,
        ["ListResourceTags"] = 100,
        ["PutKeyPolicy"] = 5,
        ["ScheduleKeyDeletion"] = 5,
        ["TagResource"] = 5,
        ["UntagResource"] = 5,
        ["UpdateAlias"] = 5,
        ["UpdateKeyDescription"] = 5,
    };

    /// <summary>
    /// The cryptographic operations, whose quota is shared by the type of the key they use (AWS KMS Developer Guide, "Request
    /// quotas", "Shared quotas for cryptographic operations": any combination of the operations a key supports counts against
    /// its key type's quota). The current table names Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
    /// GenerateMac, GenerateRandom, ReEncrypt and VerifyMac for symmetric keys; Sign, Verify and DeriveSharedSecret are the
    /// cryptographic operations of asymmetric keys.
    /// </summary>
    private static readonly HashSet<string> CryptographicOperations =
    [
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GenerateRandom", "ReEncrypt", "VerifyMac",
        "Sign", "Verify", "DeriveSharedSecret",
    ];

    /// <summary>Whether the operation's quota depends on the key it uses, so it can only be taken once the key is known.</summary>
    public static bool IsCryptographic(string operation) => CryptographicOperations.Contains(operation);

    /// <summary>The quota a request counts against: its operation's own, or for a cryptographic operation its key type's.</summary>
    public static string QuotaFor(string operation, string? keySpec = null) => !IsCryptographic(operation) ? operation : keySpec switch
    {
        null => SymmetricCryptographic,
        _ when keySpec.StartsWith("RSA_", StringComparison.Ordinal) => RsaCryptographic,
        _ when keySpec.StartsWith("ECC_", StringComparison.Ordinal) || keySpec == "SM2" => EccCryptographic,
        _ when keySpec.StartsWith("ML_DSA_", StringComparison.Ordinal) => MlDsaCryptographic,
        _ => SymmetricCryptographic,
    };

    /// <summary>
    /// The spec of the key a cryptographic request names (ReEncrypt: its source key), or null when it names none or one that
    /// cannot be resolved — the operation itself then answers with the error. A ciphertext without a key id is symmetric.
    /// Call under the ring's gate.
    /// </summary>
    public static string? KeySpecNamedBy(string operation, JsonElement request, KeyRing ring, DateTimeOffset now)
    {
        var member = operation == "ReEncrypt" ? "SourceKeyId" : "KeyId";
        if (request.ValueKind != JsonValueKind.Object || !request.TryGetProperty(member, out var named) || named.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return ring.Resolve(named.GetString()!, now, aliasesAccepted: true).KeySpec;
        }
        catch (KmsException)
        {
            return null;
        }
    }

    /// <summary>Takes one request from the operation's quota (by key type for a cryptographic operation); false when the quota for this second is used up.</summary>
    public bool TryAcquire(string operation, string? keySpec = null)
    {
        if (!options.Enabled)
        {
            return true;
        }

        var quota = QuotaFor(operation, keySpec);
        var rate = options.RequestsPerSecond.TryGetValue(quota, out var configured) ? configured
            : Documented.TryGetValue(quota, out var documented) ? documented
            : double.PositiveInfinity;
        if (double.IsPositiveInfinity(rate))
        {
            return true;
        }

        lock (_buckets)
        {
            var now = time.GetTimestamp();
            if (!_buckets.TryGetValue(quota, out var bucket))
            {
                bucket = new Bucket { Tokens = Math.Max(rate, 1), LastRefill = now };
                _buckets[quota] = bucket;
            }

            var elapsed = time.GetElapsedTime(bucket.LastRefill, now).TotalSeconds;
            // A bucket holds one second of requests, and at least one (GetParametersForImport allows 1 every 4 seconds).
            bucket.Tokens = Math.Min(Math.Max(rate, 1), bucket.Tokens + (elapsed * rate));
            bucket.LastRefill = now;
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }
    }

    private sealed class Bucket
    {
        public double Tokens { get; set; }

        public long LastRefill { get; set; }
    }
}
