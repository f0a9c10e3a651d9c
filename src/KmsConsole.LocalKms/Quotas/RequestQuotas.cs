using KmsConsole.LocalKms.Hosting;

namespace KmsConsole.LocalKms.Quotas;

/// <summary>
/// Per-second request quotas as AWS KMS documents them (Request quotas, AWS KMS Developer Guide).
/// Each quota is a token bucket refilled at its rate and holding at most one second of requests.
/// </summary>
public sealed class RequestQuotas(QuotaOptions options, TimeProvider time)
{
    /// <summary>The cryptographic operations share one quota (symmetric keys).</summary>
    public const string SymmetricCryptographic = "CryptographicOperationsSymmetric";

    /// <summary>The cryptographic operations with RSA keys share one quota.</summary>
    public const string RsaCryptographic = "CryptographicOperationsRsa";

    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Documented default requests per second, by quota name.</summary>
    public static readonly IReadOnlyDictionary<string, double> Documented = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        [SymmetricCryptographic] = 5_500,
        ["CancelKeyDeletion"] = 5,
        ["CreateAlias"] = 5,
        ["CreateKey"] = 5,
        ["DeleteAlias"] = 5,
        ["DeleteImportedKeyMaterial"] = 5,
        ["DescribeKey"] = 2_000,
        ["DisableKey"] = 5,
        ["DisableKeyRotation"] = 5,
        ["EnableKey"] = 5,
        ["EnableKeyRotation"] = 5,
        ["GetKeyPolicy"] = 1_000,
        ["GetKeyRotationStatus"] = 1_000,
        ["GetParametersForImport"] = 1,
        ["ImportKeyMaterial"] = 5,
        ["ListAliases"] = 100,
        ["ListKeyRotations"] = 5,
        ["ListKeys"] = 100,
        ["ListResourceTags"] = 50,
        ["PutKeyPolicy"] = 5,
        ["RotateKeyOnDemand"] = 5,
        ["ScheduleKeyDeletion"] = 5,
        ["TagResource"] = 10,
        ["UntagResource"] = 5,
        ["UpdateAlias"] = 5,
        ["UpdateKeyDescription"] = 5,
    };

    private static readonly HashSet<string> CryptographicOperations =
        ["Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext"];

    public static string QuotaFor(string operation) => CryptographicOperations.Contains(operation) ? SymmetricCryptographic : operation;

    /// <summary>Takes one request from the operation's quota; false when the quota for this second is used up.</summary>
    public bool TryAcquire(string operation)
    {
        if (!options.Enabled)
        {
            return true;
        }

        var quota = QuotaFor(operation);
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
                bucket = new Bucket { Tokens = rate, LastRefill = now };
                _buckets[quota] = bucket;
            }

            var elapsed = time.GetElapsedTime(bucket.LastRefill, now).TotalSeconds;
            bucket.Tokens = Math.Min(rate, bucket.Tokens + (elapsed * rate));
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
