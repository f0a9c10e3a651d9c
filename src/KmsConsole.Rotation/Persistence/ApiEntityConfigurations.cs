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
