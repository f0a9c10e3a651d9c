namespace KmsConsole.Rotation;

/// <summary>
/// Section "Rotation:Kms": how every KMS call of the console (orchestrator steps, inventory, pages' reads) retries
/// throttling, 5xx answers and timeouts. The retries happen inside the SDK client (its standard retry mode, with this
/// backoff), so a step that makes five calls is as robust as a step that makes one; the orchestrator's
/// <see cref="OrchestratorOptions.MaxAttempts"/> still counts attempts of a whole step on top of it.
/// </summary>
public sealed class KmsCallOptions
{
    /// <summary>Retries of one call after its first try (the per-call budget); 0 turns the SDK's retries off.</summary>
    public int MaxRetries { get; set; } = 8;

    /// <summary>Full-jitter exponential backoff: retry n waits a random time up to base × 2^(n-1), capped at <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Paces requests to KMS's request quotas (<see cref="Targets.RequestPacing"/>); on by default.</summary>
    public bool PaceToQuotas { get; set; } = true;

    /// <summary>
    /// Requests per second by operation name ("DescribeKey": 100), for every target, over AWS's documented defaults;
    /// set it to the quotas an account had raised. A target's own <see cref="KmsTarget.RequestsPerSecond"/> wins.
    /// </summary>
    public Dictionary<string, double> RequestsPerSecond { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The wait before retry <paramref name="retry"/> (1 for the first retry).</summary>
    public TimeSpan Backoff(int retry)
    {
        var ceiling = Math.Min(RetryMaxDelay.TotalMilliseconds, RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, retry - 1)));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }
}
