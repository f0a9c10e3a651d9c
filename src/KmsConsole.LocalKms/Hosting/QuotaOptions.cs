namespace KmsConsole.LocalKms.Hosting;

/// <summary>Request-rate quotas per operation, as AWS KMS documents them. Off by default.</summary>
public sealed class QuotaOptions
{
    public bool Enabled { get; set; }

    /// <summary>Overrides of the documented requests-per-second, by quota name (an operation name or a shared quota name).</summary>
    public Dictionary<string, double> RequestsPerSecond { get; set; } = new(StringComparer.Ordinal);
}
