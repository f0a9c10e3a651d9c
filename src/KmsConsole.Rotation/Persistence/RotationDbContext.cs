using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace KmsConsole.Rotation.Persistence;

/// <summary>The console's one database: runs, steps, approvals, audit chain, key inventory, escrowed material.</summary>
public sealed class RotationDbContext(DbContextOptions<RotationDbContext> options) : DbContext(options)
{
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<RunStep> RunSteps => Set<RunStep>();
    public DbSet<Approval> Approvals => Set<Approval>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<KeySnapshot> KeySnapshots => Set<KeySnapshot>();
    internal DbSet<Escrow.EscrowedMaterial> EscrowedMaterials => Set<Escrow.EscrowedMaterial>();

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
