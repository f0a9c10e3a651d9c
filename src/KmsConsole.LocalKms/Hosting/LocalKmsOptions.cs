namespace KmsConsole.LocalKms.Hosting;

/// <summary>Settings of a local KMS endpoint, bound from the "LocalKms" configuration section or command line.</summary>
public sealed class LocalKmsOptions
{
    public const string SectionName = "LocalKms";

    /// <summary>Folder holding the SQLite state file and the master key file.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>On first start with an empty data folder, create the workshop's keys (alias/FirstCMK, alias/ImportedCMK).</summary>
    public bool Seed { get; set; } = true;

    public string Region { get; set; } = "us-east-1";

    public string AccountId { get; set; } = "111122223333";

    /// <summary>SigV4 checking and the credentials the endpoint knows (<see cref="AuthenticationOptions"/>); read on every request.</summary>
    public AuthenticationOptions Authentication { get; set; } = new();

    /// <summary>Per-operation request-rate quotas as AWS documents them; off by default.</summary>
    public QuotaOptions Quotas { get; set; } = new();

    /// <summary>A share of requests failing or slowed down on purpose; all zero by default. Read on every request.</summary>
    public FaultInjectionOptions Faults { get; set; } = new();

    /// <summary>Requests with a larger body are refused with a typed 4xx error before they are parsed.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long a request body may take to arrive; a stalled upload is cut off (connection closed) after it.
    /// Kestrel's minimum body data rate (240 bytes/s after a 5 s grace) may close slow uploads sooner.
    /// </summary>
    public TimeSpan RequestBodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Moves the endpoint's clock ahead (or back) of the host clock, for rehearsing rotations and expiries.</summary>
    public TimeSpan ClockOffset { get; set; } = TimeSpan.Zero;

    /// <summary>How often the endpoint looks for due automatic rotations, expired material and finished deletion windows.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// "LocalKms:Iam" when bound with the rest of these options (a host such as the console binds its own
    /// configuration here); unset switches fall back to the endpoint host's configuration, then to the defaults.
    /// </summary>
    public LocalKmsIamSwitches Iam { get; set; } = new();
}

/// <summary>The local IAM endpoint's switches settable with the KMS endpoint's options (see <see cref="Iam.LocalIamOptions"/>).</summary>
public sealed class LocalKmsIamSwitches
{
    /// <summary>Enforce callers' IAM policies on KMS calls (<see cref="Iam.LocalIamOptions.EnforceKmsPermissions"/>).</summary>
    public bool? EnforceKmsPermissions { get; set; }

    /// <summary>Seed the workshop's role on a fresh data folder (<see cref="Iam.LocalIamOptions.Seed"/>).</summary>
    public bool? Seed { get; set; }
}
