using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace KmsConsole.Rotation.Targets;

/// <summary>
/// Paces the console's KMS requests to KMS's request quotas, one token bucket per target, Region and operation, so a
/// large inventory sync is not throttled and leaves the rest of the quota to whoever shares the account. Quotas are per
/// account and Region; two targets on one account and Region each get the whole quota here, which the retries absorb.
/// </summary>
internal sealed class RequestPacing : IDisposable
{
    /// <summary>
    /// Default requests per second of the operations the console reads in bulk, from the current "Request quotas for each
    /// AWS KMS API operation" table of the AWS KMS Developer Guide (requests-per-second, read 2026-12-07; the local KMS
    /// enforces the same table). Writes are few per run and are not paced by default.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> Documented = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["DescribeKey"] = 2000,
        ["GetKeyLastUsage"] = 5,
        ["GetKeyPolicy"] = 1000,
        ["GetKeyRotationStatus"] = 1000,
        ["ListGrants"] = 100,
        ["ListAliases"] = 500,
        ["ListKeyRotations"] = 100,
        ["ListKeys"] = 500,
        ["ListResourceTags"] = 2000,
    };

    private readonly ConcurrentDictionary<(string Target, string Region, string Operation), RateLimiter?> _limiters = new();
    private readonly KmsCallOptions _options;

    public RequestPacing(KmsCallOptions options) => _options = options;

    /// <summary>The pacing of one target's client.</summary>
    public Target For(KmsTarget target) => new(this, target);

    /// <summary>Requests per second allowed for <paramref name="operation"/> on <paramref name="target"/>, or null when it is not paced.</summary>
    public double? RateOf(KmsTarget target, string operation)
    {
        if (!_options.PaceToQuotas)
        {
            return null;
        }

        return target.RequestsPerSecond.TryGetValue(operation, out var forTarget) ? forTarget
            : _options.RequestsPerSecond.TryGetValue(operation, out var configured) ? configured
            : Documented.TryGetValue(operation, out var documented) ? documented
            : null;
    }

    private RateLimiter? LimiterFor(KmsTarget target, string operation) =>
        _limiters.GetOrAdd((target.Name, target.Region, operation), _ => RateOf(target, operation) is { } rate and > 0 ? Bucket(rate) : null);

    /// <summary>
    /// A bucket that holds one second of requests (as KMS's own quotas do) and is refilled every 100 ms, or every
    /// 1/rate seconds for rates under 10 a second, so a late timer tick costs little of the rate.
    /// </summary>
    private static TokenBucketRateLimiter Bucket(double rate)
    {
        var period = TimeSpan.FromSeconds(Math.Max(0.1, 1 / rate));
        var perPeriod = Math.Max(1, (int)Math.Round(rate * period.TotalSeconds));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(perPeriod, (int)Math.Floor(rate)),
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter?.Dispose();
        }
    }

    /// <summary>The buckets of one target.</summary>
    internal sealed class Target(RequestPacing pacing, KmsTarget target)
    {
        private static readonly ValueTask<RateLimitLease?> NotPaced = ValueTask.FromResult<RateLimitLease?>(null);

        /// <summary>Waits for one request of <paramref name="operation"/>; null (nothing to wait for) when it is not paced.</summary>
        public ValueTask<RateLimitLease?> AcquireAsync(string operation, CancellationToken cancellationToken) =>
            pacing.LimiterFor(target, operation) is { } limiter ? AcquireAsync(limiter, cancellationToken) : NotPaced;

        private static async ValueTask<RateLimitLease?> AcquireAsync(RateLimiter limiter, CancellationToken cancellationToken) =>
            await limiter.AcquireAsync(1, cancellationToken);
    }
}
