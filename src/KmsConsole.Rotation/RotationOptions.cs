namespace KmsConsole.Rotation;

/// <summary>Section "Rotation": database, KMS targets, escrow key, approval policies and the orchestrator.</summary>
public sealed class RotationOptions
{
    public const string SectionName = "Rotation";

    public DatabaseOptions Database { get; set; } = new();

    /// <summary>The first target is the default.</summary>
    public List<KmsTarget> Targets { get; set; } = [];

    /// <summary>Imported material is escrowed under this key; created on the target when absent.</summary>
    public string EscrowKeyAlias { get; set; } = "alias/kmsconsole-escrow";

    /// <summary>Approval policy per workflow; a workflow not listed gets <see cref="ApprovalPolicy"/>'s defaults.</summary>
    public Dictionary<WorkflowKind, ApprovalPolicy> Approvals { get; set; } = [];

    public OrchestratorOptions Orchestrator { get; set; } = new();

    /// <summary>Retries of each KMS call (section Rotation:Kms).</summary>
    public KmsCallOptions Kms { get; set; } = new();

    /// <summary>
    /// How often every instance looks for exemptions that expired (one indexed read); an expiry found makes compliance be
    /// evaluated again at once instead of at the next inventory sync.
    /// </summary>
    public TimeSpan ExemptionExpiryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The hazard check before destructive steps (section Rotation:Safety).</summary>
    public Safety.SafetyOptions Safety { get; set; } = new();

    public ApprovalPolicy PolicyFor(WorkflowKind workflow) =>
        Approvals.TryGetValue(workflow, out var policy) ? policy : new ApprovalPolicy();

    public KmsTarget? FindTarget(string name) =>
        Targets.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The target by name; refuses, naming it, when none is configured.</summary>
    public KmsTarget RequireTarget(string name) =>
        FindTarget(name) ?? throw new RotationRefusedException($"No KMS target named '{name}' is configured (Rotation:Targets).", kind: RefusalKind.NotFound)
        {
            Field = "target",
        };
}

public sealed class DatabaseOptions
{
    public const string Sqlite = nameof(Sqlite);
    public const string Postgres = nameof(Postgres);

    /// <summary>"Sqlite" (default) or "Postgres".</summary>
    public string Provider { get; set; } = Sqlite;

    public string ConnectionString { get; set; } = "Data Source=data/kmsconsole.db";
}

public sealed class ApprovalPolicy
{
    public int RequiredApprovals { get; set; } = 1;
    public string ApproverRole { get; set; } = Roles.Approver;
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(24);
}

public sealed class OrchestratorOptions
{
    public bool Enabled { get; set; } = true;
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Names this console instance in leases; defaults to machine name + process id.</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Attempts per step for throttling, 5xx and timeouts (first try included).</summary>
    public int MaxAttempts { get; set; } = 6;
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Full-jitter exponential backoff before retry <paramref name="attempt"/>: a random delay up to base × 2^(attempt-1), capped.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(RetryMaxDelay.TotalMilliseconds, RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling + 1);
    }

    /// <summary>Timeout of one KMS call.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Inventory sync: KMS calls in flight at once per target.</summary>
    public int InventoryConcurrency { get; set; } = 4;

    /// <summary>How old a key's last use may get before it is read again (in the background, at GetKeyLastUsage's own pace).</summary>
    public TimeSpan LastUseMaxAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Runs one instance works on at once (each under its own lease, locks and steps). Several at once keep a campaign's
    /// KMS calls at their quotas: one run at a time leaves the quota idle while the run writes its steps and audit events.
    /// </summary>
    public int RunConcurrency { get; set; } = 8;
}
