using KmsConsole.Rotation.Automation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KmsConsole.Rotation.Persistence;

internal sealed class AccessTokenConfiguration : IEntityTypeConfiguration<AccessToken>
{
    public void Configure(EntityTypeBuilder<AccessToken> builder)
    {
        builder.ToTable("AccessTokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.UserId).HasMaxLength(300);
        builder.Property(t => t.Name).HasMaxLength(PersonalAccessTokens.MaxNameLength);
        builder.Property(t => t.SecretHash).HasMaxLength(64);
        builder.Property(t => t.Hint).HasMaxLength(40);
        builder.Property(t => t.Roles).HasMaxLength(200);
        builder.Property(t => t.LastUsedFrom).HasMaxLength(64);
        builder.Ignore(t => t.RoleList);
        builder.HasIndex(t => t.SecretHash).IsUnique();
        builder.HasIndex(t => t.UserId);
    }
}

internal sealed class ConsoleUserConfiguration : IEntityTypeConfiguration<ConsoleUser>
{
    public void Configure(EntityTypeBuilder<ConsoleUser> builder)
    {
        builder.ToTable("ConsoleUsers");
        builder.HasKey(u => u.UserId);
        builder.Property(u => u.UserId).HasMaxLength(300);
        builder.Property(u => u.Email).HasMaxLength(320);
        builder.Property(u => u.Roles).HasMaxLength(200);
        builder.Ignore(u => u.RoleList);
    }
}

internal sealed class IdempotencyKeyConfiguration : IEntityTypeConfiguration<IdempotencyKey>
{
    public void Configure(EntityTypeBuilder<IdempotencyKey> builder)
    {
        builder.ToTable("IdempotencyKeys");
        builder.HasKey(k => new { k.UserId, k.Key });
        builder.Property(k => k.UserId).HasMaxLength(300);
        builder.Property(k => k.Key).HasMaxLength(IdempotentRunRequests.MaxKeyLength);
        builder.Property(k => k.RequestHash).HasMaxLength(64);
    }
}

internal sealed class NotificationMessageConfiguration : IEntityTypeConfiguration<Notifications.NotificationMessage>
{
    public void Configure(EntityTypeBuilder<Notifications.NotificationMessage> builder)
    {
        builder.ToTable("NotificationMessages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Event).HasConversion<string>().HasMaxLength(40);
        builder.Property(m => m.Workflow).HasConversion<string>().HasMaxLength(40);
        builder.HasMany(m => m.Deliveries).WithOne().HasForeignKey(d => d.MessageId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(m => m.CreatedAt);
        builder.Property(m => m.DedupKey).HasMaxLength(400);
        builder.HasIndex(m => m.DedupKey).IsUnique();
    }
}

internal sealed class NotificationDeliveryConfiguration : IEntityTypeConfiguration<Notifications.NotificationDelivery>
{
    public void Configure(EntityTypeBuilder<Notifications.NotificationDelivery> builder)
    {
        builder.ToTable("NotificationDeliveries");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Channel).HasMaxLength(100);
        builder.Property(d => d.State).HasConversion<string>().HasMaxLength(20);
        builder.HasMany(d => d.AttemptLog).WithOne().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
        // Once per channel per event, whatever happens.
        builder.HasIndex(d => new { d.MessageId, d.Channel }).IsUnique();
        builder.HasIndex(d => new { d.State, d.NextAttemptAt });
    }
}

internal sealed class DeliveryAttemptConfiguration : IEntityTypeConfiguration<Notifications.DeliveryAttempt>
{
    public void Configure(EntityTypeBuilder<Notifications.DeliveryAttempt> builder)
    {
        builder.ToTable("DeliveryAttempts");
        builder.HasKey(a => a.Id);
        builder.HasIndex(a => a.DeliveryId);
    }
}

internal sealed class NotificationPreferenceConfiguration : IEntityTypeConfiguration<Notifications.NotificationPreference>
{
    public void Configure(EntityTypeBuilder<Notifications.NotificationPreference> builder)
    {
        builder.ToTable("NotificationPreferences");
        builder.HasKey(p => new { p.UserId, p.Event });
        builder.Property(p => p.UserId).HasMaxLength(300);
        builder.Property(p => p.Event).HasConversion<string>().HasMaxLength(40);
    }
}
