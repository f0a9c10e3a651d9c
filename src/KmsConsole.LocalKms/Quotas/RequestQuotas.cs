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

    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>
    /// Default requests per second, by quota name, from the "Request quotas for each AWS KMS API operation" table of the
    /// AWS KMS Developer Guide (awsdocs/aws-kms-developer-guide, doc_source/requests-per-second.md). The symmetric
    /// cryptographic quota is the lowest regional default (5,500; some Regions have 10,000 or more). The quota is
    /// taken before the request is read, so cryptographic requests with RSA keys count against the symmetric quota here.
    /// Operations the table does not list (ListKeyRotations, RotateKeyOnDemand) are not limited here.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> Documented = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        [SymmetricCryptographic] = 5_500,
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
    /// The operations the current table's "Cryptographic operations (symmetric) request rate" applies to (AWS KMS Developer
    /// Guide, "Request quotas", read 2026-12-03): Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext,
    /// GenerateMac, GenerateRandom, ReEncrypt, VerifyMac.
    /// </summary>
    private static readonly HashSet<string> CryptographicOperations =
        ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GenerateRandom", "ReEncrypt", "VerifyMac"];

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
