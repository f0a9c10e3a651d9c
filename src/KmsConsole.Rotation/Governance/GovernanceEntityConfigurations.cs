using System.Text.Json;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KmsConsole.Rotation.Governance;

internal sealed class RotationPolicyConfiguration : IEntityTypeConfiguration<RotationPolicy>
{
    public void Configure(EntityTypeBuilder<RotationPolicy> builder)
    {
        builder.ToTable("RotationPolicies");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Name).HasMaxLength(PolicyProposal.MaxNameLength);
        builder.Property(p => p.State).HasConversion<string>().HasMaxLength(20);
        builder.Property(p => p.Scope).HasConversion(
            s => JsonSerializer.Serialize(s, Json.Options),
            s => JsonSerializer.Deserialize<PolicyScope>(s, Json.Options) ?? new PolicyScope());
        builder.Property(p => p.Rule).HasConversion(
            r => JsonSerializer.Serialize(r, Json.Options),
            s => JsonSerializer.Deserialize<PolicyRule>(s, Json.Options) ?? new PolicyRule());
        builder.Property(p => p.Schedule).HasConversion(
            s => s == null ? null : JsonSerializer.Serialize(s, Json.Options),
            s => s == null ? null : JsonSerializer.Deserialize<PolicySchedule>(s, Json.Options));
        builder.Property(p => p.Revision).IsConcurrencyToken();
        builder.Ignore(p => p.Title);
        // Sign-offs of policies, exemptions and campaigns share one table keyed by subject, loaded by SignOffs.LoadAsync.
        builder.Ignore(p => p.SignOffs);
        builder.HasIndex(p => new { p.PolicyId, p.Version }).IsUnique();
        builder.HasIndex(p => p.State);
    }
}

internal sealed class PolicyExemptionConfiguration : IEntityTypeConfiguration<PolicyExemption>
{
    public void Configure(EntityTypeBuilder<PolicyExemption> builder)
    {
        builder.ToTable("PolicyExemptions");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Target).HasMaxLength(100);
        builder.Property(e => e.KeyId).HasMaxLength(300);
        builder.Property(e => e.State).HasConversion<string>().HasMaxLength(20);
        builder.Property(e => e.Revision).IsConcurrencyToken();
        builder.Ignore(e => e.SignOffs);
        builder.HasIndex(e => new { e.PolicyId, e.Target, e.KeyId });
    }
}

internal sealed class SignOffConfiguration : IEntityTypeConfiguration<SignOff>
{
    public void Configure(EntityTypeBuilder<SignOff> builder)
    {
        builder.ToTable("SignOffs");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Decision).HasConversion<string>().HasMaxLength(10);
        builder.HasIndex(s => s.SubjectId);
    }
}

internal sealed class ComplianceResultConfiguration : IEntityTypeConfiguration<ComplianceResult>
{
    public void Configure(EntityTypeBuilder<ComplianceResult> builder)
    {
        builder.ToTable("ComplianceResults");
        builder.HasKey(r => new { r.PolicyId, r.Target, r.KeyId });
        builder.Property(r => r.Target).HasMaxLength(100);
        builder.Property(r => r.KeyId).HasMaxLength(300);
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(20);
        builder.Property(r => r.Remedy).HasConversion<string>().HasMaxLength(40);
        builder.HasIndex(r => new { r.Status, r.DueAt });
        builder.HasIndex(r => new { r.Target, r.KeyId });
    }
}

internal sealed class ComplianceDayConfiguration : IEntityTypeConfiguration<ComplianceDay>
{
    public void Configure(EntityTypeBuilder<ComplianceDay> builder)
    {
        builder.ToTable("ComplianceDays");
        builder.HasKey(d => new { d.Day, d.PolicyId });
        builder.HasIndex(d => d.PolicyId);
    }
}

internal sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> builder)
    {
        builder.ToTable("Campaigns");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Target).HasMaxLength(100);
        builder.Property(c => c.Workflow).HasConversion<string>().HasMaxLength(40);
        builder.Property(c => c.State).HasConversion<string>().HasMaxLength(20);
        builder.Property(c => c.Parameters).HasConversion(
            p => JsonSerializer.Serialize(p, Json.Options),
            s => JsonSerializer.Deserialize<RotationParameters>(s, Json.Options) ?? new RotationParameters());
        builder.Property(c => c.Revision).IsConcurrencyToken();
        builder.Ignore(c => c.SignOffs);
        builder.Ignore(c => c.FateSignOffs);
        builder.Ignore(c => c.Fate);
        builder.Ignore(c => c.DeletionSignOffs);
        builder.Ignore(c => c.Deletion);
        builder.Ignore(c => c.IsOver);
        builder.HasMany(c => c.Keys).WithOne().HasForeignKey(k => k.CampaignId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(c => c.State);
        builder.HasIndex(c => c.CreatedAt);
        builder.Property(c => c.ScheduleKey).HasMaxLength(100);
        builder.HasIndex(c => c.ScheduleKey).IsUnique();
    }
}

internal sealed class CampaignKeyConfiguration : IEntityTypeConfiguration<CampaignKey>
{
    public void Configure(EntityTypeBuilder<CampaignKey> builder)
    {
        builder.ToTable("CampaignKeys");
        builder.HasKey(k => new { k.CampaignId, k.Index });
        builder.Property(k => k.KeyId).HasMaxLength(300);
        builder.Property(k => k.State).HasConversion<string>().HasMaxLength(20);
        builder.HasIndex(k => k.RunId);
    }
}
