using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KmsConsole.Rotation.Persistence;

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

internal sealed class RunConfiguration : IEntityTypeConfiguration<Run>
{
    public void Configure(EntityTypeBuilder<Run> builder)
    {
        builder.ToTable("Runs");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Workflow).HasConversion<string>().HasMaxLength(40);
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(20);
        builder.Property(r => r.Target).HasMaxLength(100);
        builder.Property(r => r.KeyId).HasMaxLength(300);
        builder.Property(r => r.Parameters).HasConversion(
            p => JsonSerializer.Serialize(p, Json.Options),
            s => JsonSerializer.Deserialize<RotationParameters>(s, Json.Options) ?? new RotationParameters());
        builder.Property(r => r.Values).HasConversion(
                v => JsonSerializer.Serialize(v, Json.Options),
                s => JsonSerializer.Deserialize<Dictionary<string, string>>(s, Json.Options) ?? new Dictionary<string, string>(),
                new ValueComparer<Dictionary<string, string>>(
                    (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                    d => d.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
                    d => new Dictionary<string, string>(d)));
        builder.Property(r => r.PermissionCheck).HasConversion(
            c => c == null ? null : JsonSerializer.Serialize(c, Json.Options),
            s => s == null ? null : JsonSerializer.Deserialize<Iam.RecordedPermissionCheck>(s, Json.Options));
        builder.Property(r => r.Version).IsConcurrencyToken();
        builder.Ignore(r => r.IsFinished);
        builder.HasMany(r => r.Steps).WithOne().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany(r => r.Approvals).WithOne().HasForeignKey(a => a.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => r.ActiveKeyLock).IsUnique();
        builder.HasIndex(r => r.ActiveAliasLock).IsUnique();
        builder.HasIndex(r => new { r.State, r.LeaseUntil });
        builder.HasIndex(r => new { r.Target, r.KeyId });
        builder.HasIndex(r => r.CreatedAt);
        builder.HasIndex(r => r.CampaignId);
    }
}

internal sealed class RunStepConfiguration : IEntityTypeConfiguration<RunStep>
{
    public void Configure(EntityTypeBuilder<RunStep> builder)
    {
        builder.ToTable("RunSteps");
        builder.HasKey(s => new { s.RunId, s.Index });
        builder.Property(s => s.Kind).HasConversion<string>().HasMaxLength(10);
        builder.Property(s => s.State).HasConversion<string>().HasMaxLength(20);
    }
}

internal sealed class ApprovalConfiguration : IEntityTypeConfiguration<Approval>
{
    public void Configure(EntityTypeBuilder<Approval> builder)
    {
        builder.ToTable("Approvals");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Decision).HasConversion<string>().HasMaxLength(10);
        builder.HasIndex(a => new { a.RunId, a.GateStepIndex });
    }
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        builder.ToTable("AuditEvents");
        builder.HasKey(e => e.Sequence);
        // The chain assigns sequences itself (previous + 1) so a gap is visible to verification.
        builder.Property(e => e.Sequence).ValueGeneratedNever();
        builder.Property(e => e.PreviousHash).HasMaxLength(64);
        builder.Property(e => e.Hash).HasMaxLength(64);
        builder.HasIndex(e => e.Time);
        builder.HasIndex(e => e.RunId);
        builder.HasIndex(e => e.Actor);
        builder.HasIndex(e => e.Action);
        // The Audit page filters by actor or action within a time range; with the single-column indexes alone SQLite
        // walked every event of a common action (400,000 step.succeeded of a million) to find one week's. The
        // single-column ones stay: they list an actor's or action's events already in sequence order.
        builder.HasIndex(e => new { e.Actor, e.Time });
        builder.HasIndex(e => new { e.Action, e.Time });
    }
}

internal sealed class KeySnapshotConfiguration : IEntityTypeConfiguration<KeySnapshot>
{
    public void Configure(EntityTypeBuilder<KeySnapshot> builder)
    {
        builder.ToTable("KeySnapshots");
        builder.HasKey(k => new { k.Target, k.KeyId });
        builder.HasIndex(k => k.Aliases);
        builder.HasIndex(k => k.Origin);
        builder.HasIndex(k => k.KeyState);
        builder.HasIndex(k => new { k.RotationEnabled, k.NextRotationDate });
        builder.HasIndex(k => k.ValidTo);
        builder.HasIndex(k => k.LastRotationDate);
        builder.HasIndex(k => k.CreationDate);
        builder.HasIndex(k => k.LastUsedAt);
        builder.Property(k => k.KeyManager).HasMaxLength(20);
        builder.Property(k => k.Tags).HasConversion(
            t => t == null ? null : JsonSerializer.Serialize(t, Json.Options),
            s => s == null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(s, Json.Options),
            new ValueComparer<Dictionary<string, string>?>(
                (a, b) => a == null ? b == null : b != null && a.Count == b.Count && !a.Except(b).Any(),
                d => d == null ? 0 : d.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
                d => d == null ? null : new Dictionary<string, string>(d)));
    }
}

internal sealed class EscrowedMaterialConfiguration : IEntityTypeConfiguration<Escrow.EscrowedMaterial>
{
    public void Configure(EntityTypeBuilder<Escrow.EscrowedMaterial> builder)
    {
        builder.ToTable("EscrowedMaterial");
        builder.HasKey(e => e.Id);
        builder.HasIndex(e => new { e.Target, e.KeyId });
        builder.HasIndex(e => e.RunId);
    }
}

internal sealed class PolicyGrantConfiguration : IEntityTypeConfiguration<Iam.PolicyGrant>
{
    public void Configure(EntityTypeBuilder<Iam.PolicyGrant> builder)
    {
        builder.ToTable("PolicyGrants");
        builder.HasKey(g => g.Id);
        builder.Property(g => g.Target).HasMaxLength(100);
        builder.Property(g => g.RoleArn).HasMaxLength(2048);
        builder.Property(g => g.PolicyName).HasMaxLength(128);
        builder.Property(g => g.Scope).HasConversion<string>().HasMaxLength(20);
        builder.Property(g => g.State).HasConversion<string>().HasMaxLength(20);
        builder.Property(g => g.Version).IsConcurrencyToken();
        builder.Ignore(g => g.WorkflowList);
        builder.Ignore(g => g.CanApply);
        builder.HasIndex(g => new { g.State, g.CreatedAt });
        builder.HasIndex(g => g.CreatedAt);
    }
}
