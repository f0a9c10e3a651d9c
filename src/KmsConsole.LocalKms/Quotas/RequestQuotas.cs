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

    /// <summary>
    /// The start of the name of a data key pair quota: GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share one
    /// quota for each KeyPairSpec ("GenerateDataKeyPair (RSA_2048) request rate", ...), named here by appending the spec, as
    /// in <c>GenerateDataKeyPair_RSA_2048</c>.
    /// </summary>
    public const string DataKeyPairPrefix = "GenerateDataKeyPair_";

    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>
    /// Default requests per second, by quota name, from the "Request quotas for each AWS KMS API operation" table of the
    /// current AWS KMS Developer Guide page "Request quotas" (docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html,
    /// read 2026-12-07). Where a value varies with the Region it is the one for every Region but those the table names:
    /// 10,000 for symmetric keys (some Regions have 20,000 or 100,000), and the data key pair quotas of all Regions but the
    /// China Regions. Operations the table does not list (Encapsulate, Decapsulate) are not limited here.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> Documented = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        [SymmetricCryptographic] = 10_000,
        [RsaCryptographic] = 1_000,
        [EccCryptographic] = 1_000,
        [MlDsaCryptographic] = 1_000,
        [DataKeyPairPrefix + "ECC_NIST_P256"] = 100,
        [DataKeyPairPrefix + "ECC_NIST_P384"] = 100,
        [DataKeyPairPrefix + "ECC_NIST_P521"] = 100,
        [DataKeyPairPrefix + "ECC_SECG_P256K1"] = 100,
        [DataKeyPairPrefix + "ECC_NIST_EDWARDS25519"] = 100,
        [DataKeyPairPrefix + "RSA_2048"] = 20,
        [DataKeyPairPrefix + "RSA_3072"] = 4,
        [DataKeyPairPrefix + "RSA_4096"] = 1,
        [DataKeyPairPrefix + "SM2"] = 25,
        ["CancelKeyDeletion"] = 5,
        ["ConnectCustomKeyStore"] = 5,
        ["CreateAlias"] = 5,
        ["CreateCustomKeyStore"] = 5,
        ["CreateGrant"] = 50,
        ["CreateKey"] = 5,
        ["DeleteAlias"] = 15,
        ["DeleteCustomKeyStore"] = 5,
        ["DeleteImportedKeyMaterial"] = 15,
        ["DescribeCustomKeyStores"] = 5,
        ["DescribeKey"] = 2_000,
        ["DisableKey"] = 5,
        ["DisableKeyRotation"] = 5,
        ["DisconnectCustomKeyStore"] = 5,
        ["EnableKey"] = 5,
        ["EnableKeyRotation"] = 15,
        ["GetKeyLastUsage"] = 5,
        ["GetKeyPolicy"] = 1_000,
        ["GetKeyRotationStatus"] = 1_000,
        ["GetParametersForImport"] = 1,
        ["GetPublicKey"] = 2_000,
        ["ImportKeyMaterial"] = 15,
        ["ListAliases"] = 500,
        ["ListGrants"] = 100,
        ["ListKeyPolicies"] = 100,
        ["ListKeys"] = 500,
        ["ListKeyRotations"] = 100,
        ["ListResourceTags"] = 2_000,
        ["ListRetirableGrants"] = 100,
        ["PutKeyPolicy"] = 15,
        ["ReplicateKey"] = 5,
        ["RetireGrant"] = 50,
        ["RevokeGrant"] = 50,
        ["RotateKeyOnDemand"] = 5,
        ["ScheduleKeyDeletion"] = 15,
        ["TagResource"] = 10,
        ["UntagResource"] = 5,
        ["UpdateAlias"] = 5,
        ["UpdateCustomKeyStore"] = 5,
        ["UpdateKeyDescription"] = 5,
        ["UpdatePrimaryRegion"] = 5,
    };

    /// <summary>
    /// The cryptographic operations, whose quota is shared by the type of the key they use (AWS KMS Developer Guide, "Request
    /// quotas", "Shared quotas for cryptographic operations": any combination of the operations a key supports counts against
    /// its key type's quota). The current table names Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
    /// GenerateMac, GenerateRandom, ReEncrypt and VerifyMac for symmetric keys; Sign, Verify and DeriveSharedSecret are the
    /// cryptographic operations of asymmetric keys. GetPublicKey is not among them: it has its own quota.
    /// </summary>
    private static readonly HashSet<string> CryptographicOperations =
    [
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GenerateRandom", "ReEncrypt", "VerifyMac",
        "Sign", "Verify", "DeriveSharedSecret",
    ];

    /// <summary>
    /// The exceptions to the shared quotas ("... GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext, which share a
    /// separate quota"): the two share one quota for each KeyPairSpec, apart from every key type's quota and from each other spec's.
    /// </summary>
    private static readonly HashSet<string> DataKeyPairOperations = ["GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"];

    /// <summary>
    /// Whether the operation's quota depends on what its request names — the key it uses, or for a data key pair its
    /// KeyPairSpec — so it can only be taken once the request is read (and the key is known).
    /// </summary>
    public static bool IsCryptographic(string operation) => CryptographicOperations.Contains(operation) || DataKeyPairOperations.Contains(operation);

    /// <summary>The quota name of GenerateDataKeyPair(WithoutPlaintext) requests for <paramref name="keyPairSpec"/>.</summary>
    public static string DataKeyPairQuota(string keyPairSpec) => DataKeyPairPrefix + keyPairSpec;

    /// <summary>
    /// The quota a request counts against: its operation's own; for a cryptographic operation its key type's; for a data key
    /// pair its KeyPairSpec's (the operation's own name, which has no documented quota, when the request names no valid spec).
    /// </summary>
    public static string QuotaFor(string operation, string? keySpec = null)
    {
        if (DataKeyPairOperations.Contains(operation))
        {
            return keySpec is null ? operation : DataKeyPairQuota(keySpec);
        }

        return !CryptographicOperations.Contains(operation) ? operation : keySpec switch
        {
            null => SymmetricCryptographic,
            _ when keySpec.StartsWith("RSA_", StringComparison.Ordinal) => RsaCryptographic,
            _ when keySpec.StartsWith("ECC_", StringComparison.Ordinal) || keySpec == "SM2" => EccCryptographic,
            _ when keySpec.StartsWith("ML_DSA_", StringComparison.Ordinal) => MlDsaCryptographic,
            _ => SymmetricCryptographic,
        };
    }

    /// <summary>
    /// The spec of the key a cryptographic request names (ReEncrypt: its source key), or null when it names none or one that
    /// cannot be resolved — the operation itself then answers with the error. A ciphertext without a key id is symmetric.
    /// For GenerateDataKeyPair(WithoutPlaintext) it is the KeyPairSpec the request asks for, whatever its KeyId, or null when
    /// that is not a data key pair spec. Call under the ring's gate.
    /// </summary>
    public static string? KeySpecNamedBy(string operation, JsonElement request, KeyRing ring, DateTimeOffset now)
    {
        var member = DataKeyPairOperations.Contains(operation) ? "KeyPairSpec" : operation == "ReEncrypt" ? "SourceKeyId" : "KeyId";
        if (request.ValueKind != JsonValueKind.Object || !request.TryGetProperty(member, out var named) || named.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        if (DataKeyPairOperations.Contains(operation))
        {
            var keyPairSpec = named.GetString()!;
            return Array.IndexOf(KeySpecs.DataKeyPairSpecs, keyPairSpec) >= 0 ? keyPairSpec : null;
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

    /// <summary>
    /// Takes one request from the operation's quota (by key type for a cryptographic operation, by KeyPairSpec for a data key
    /// pair); false when the quota for this second is used up. A configured <c>LocalKms:Quotas:RequestsPerSecond:&lt;quota name&gt;</c>
    /// wins over the documented value.
    /// </summary>
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
            // A bucket holds one second of requests, and at least one (a configured rate may be under 1 a second).
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
