using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace KmsConsole.Rotation.Persistence;

/// <summary>The console's one database: runs, steps, approvals, audit chain, key inventory, escrowed material.</summary>
public class RotationDbContext : DbContext
{
    public RotationDbContext(DbContextOptions<RotationDbContext> options)
        : base(options)
    {
    }

    /// <summary>For the provider-specific subclass, whose migrations are its own.</summary>
    protected RotationDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<Run> Runs => Set<Run>();
    public DbSet<RunStep> RunSteps => Set<RunStep>();
    public DbSet<Approval> Approvals => Set<Approval>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<KeySnapshot> KeySnapshots => Set<KeySnapshot>();
    internal DbSet<Escrow.EscrowedMaterial> EscrowedMaterials => Set<Escrow.EscrowedMaterial>();
    public DbSet<Iam.PolicyGrant> PolicyGrants => Set<Iam.PolicyGrant>();
    public DbSet<Automation.AccessToken> AccessTokens => Set<Automation.AccessToken>();
    public DbSet<ConsoleUser> ConsoleUsers => Set<ConsoleUser>();
    public DbSet<Automation.IdempotencyKey> IdempotencyKeys => Set<Automation.IdempotencyKey>();
    public DbSet<Notifications.NotificationMessage> NotificationMessages => Set<Notifications.NotificationMessage>();
    public DbSet<Notifications.NotificationDelivery> NotificationDeliveries => Set<Notifications.NotificationDelivery>();
    public DbSet<Notifications.DeliveryAttempt> DeliveryAttempts => Set<Notifications.DeliveryAttempt>();
    public DbSet<Notifications.NotificationPreference> NotificationPreferences => Set<Notifications.NotificationPreference>();
    public DbSet<Notifications.NotificationChannel> NotificationChannels => Set<Notifications.NotificationChannel>();
    public DbSet<Governance.RotationPolicy> RotationPolicies => Set<Governance.RotationPolicy>();
    public DbSet<Governance.PolicyExemption> PolicyExemptions => Set<Governance.PolicyExemption>();
    public DbSet<Governance.SignOff> SignOffs => Set<Governance.SignOff>();
    public DbSet<Governance.ComplianceResult> ComplianceResults => Set<Governance.ComplianceResult>();
    public DbSet<Governance.ComplianceDay> ComplianceDays => Set<Governance.ComplianceDay>();
    public DbSet<Governance.Campaign> Campaigns => Set<Governance.Campaign>();
    public DbSet<Governance.CampaignKey> CampaignKeys => Set<Governance.CampaignKey>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Times are stored as UTC ticks: SQLite cannot compare or order DateTimeOffset values in SQL, and
        // the lease claim and the inventory filters compare times in SQL.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(RotationDbContext).Assembly);

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks,
        v => new DateTimeOffset(v, TimeSpan.Zero));
}

/// <summary>
/// The same model on PostgreSQL. A subclass only so that its migrations (Persistence/Migrations/Postgres) are
/// told apart from the SQLite ones: EF Core picks migrations by context type.
/// </summary>
public sealed class PostgresRotationDbContext(DbContextOptions<PostgresRotationDbContext> options) : RotationDbContext(options);
