namespace KmsConsole.LocalKms.Hosting;

/// <summary>
/// Makes a share of requests fail or slow down, so callers' retry and backoff paths can be tested.
/// Every property is read on each request: changing it on a running server takes effect at once.
/// </summary>
public sealed class FaultInjectionOptions
{
    /// <summary>Share (0..1) of requests answered with ThrottlingException.</summary>
    public double ThrottlingShare { get; set; }

    /// <summary>Share (0..1) of requests answered with KMSInternalException (HTTP 500).</summary>
    public double InternalErrorShare { get; set; }

    /// <summary>Share (0..1) of requests delayed by <see cref="Delay"/> before they run.</summary>
    public double DelayShare { get; set; }

    public TimeSpan Delay { get; set; }

    public bool IsActive => ThrottlingShare > 0 || InternalErrorShare > 0 || (DelayShare > 0 && Delay > TimeSpan.Zero);
}
