namespace KmsConsole.Rotation.Notifications;

/// <summary>
/// Section <c>Notifications</c>: the channels (their names here; the web console reads each channel's own settings), the
/// console's address for links, and the sender's retry bounds.
/// </summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Notifications";

    public List<ChannelOptions> Channels { get; set; } = [];

    /// <summary>The console's address as people reach it, for the links in messages (e.g. https://kms.example.com).</summary>
    public string? ConsoleUrl { get; set; }

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The first retry's wait; each next one doubles, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts before a delivery is given up (an Admin may send it again). 30 with the defaults spans a receiver down for hours.</summary>
    public int MaxAttempts { get; set; } = 30;

    /// <summary>How long one instance holds a delivery it is sending; another instance takes it over after that.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the scheduled events (material and approvals expiring) are looked for; each is written once whatever the interval.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>An approval given at a gate that still needs more is announced this long before it expires.</summary>
    public TimeSpan ApprovalExpiringWithin { get; set; } = TimeSpan.FromHours(4);

    /// <summary>Days before imported material expires at which it is announced (default 30, 7 and 1); each once per key and ValidTo.</summary>
    public int[]? MaterialExpiryDays { get; set; }

    public IReadOnlyList<int> MaterialExpiryThresholds => MaterialExpiryDays is { Length: > 0 } days ? days : [30, 7, 1];

    /// <summary>
    /// The 256-bit key, base64, that the secrets of channels made in the console are encrypted under (AES-GCM). Give it as an
    /// environment variable (<c>Notifications__SecretKey</c>) or from a secret store, never in a file next to the database:
    /// whoever holds both reads the secrets. Without it the console refuses to store a channel secret.
    /// </summary>
    public string? SecretKey { get; set; }

    /// <summary>The names of the channels of configuration; with those made in the console, see <see cref="NotificationChannelDirectory"/>.</summary>
    public IReadOnlyList<string> ChannelNames => Channels.Where(c => !string.IsNullOrWhiteSpace(c.Name)).Select(c => c.Name).ToList();
}

public enum ChannelKind
{
    Email,
    Slack,
    Teams,
    Webhook,
}

/// <summary>
/// One channel. Secrets (the webhook's <c>whsec_</c> key, the SMTP password, a Slack or Teams URL, which is itself a
/// credential) come from configuration — environment variables or a secret store — and are never written to the database.
/// </summary>
public sealed class ChannelOptions
{
    public string Name { get; set; } = "";

    public ChannelKind Kind { get; set; }

    /// <summary>Slack incoming webhook, Teams workflow webhook or Standard Webhooks endpoint.</summary>
    public string? Url { get; set; }

    /// <summary>Standard Webhooks signing secret, <c>whsec_</c> followed by base64.</summary>
    public string? Secret { get; set; }

    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 587;

    /// <summary>StartTls (default), SslOnConnect, or None (loopback test servers only).</summary>
    public string SmtpSecurity { get; set; } = "StartTls";

    public string? SmtpUser { get; set; }

    public string? SmtpPassword { get; set; }

    public string? From { get; set; }
}
