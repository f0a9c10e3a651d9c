using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KmsConsole.Rotation.Notifications;

/// <summary>
/// A channel an Admin made in the console (the others come from configuration). What is a credential — a Slack or Teams
/// address, a webhook's address and <c>whsec_</c> secret, the SMTP password — is only stored encrypted in
/// <see cref="ProtectedSecrets"/>; the rest is plain so the page can show where it sends.
/// </summary>
public sealed class NotificationChannel
{
    public Guid Id { get; set; }

    public string Name { get; set; } = "";

    public ChannelKind Kind { get; set; }

    public bool Enabled { get; set; } = true;

    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 587;

    public string SmtpSecurity { get; set; } = "StartTls";

    public string? SmtpUser { get; set; }

    public string? From { get; set; }

    /// <summary>Where it sends as the page shows it: an address by its host only.</summary>
    public string Destination { get; set; } = "";

    /// <summary>The channel's secrets (address, signing secret, SMTP password) encrypted with AES-GCM under <c>Notifications:SecretKey</c>; null without any.</summary>
    public string? ProtectedSecrets { get; set; }

    public string UpdatedBy { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Concurrency token: two Admins editing at once cannot both save.</summary>
    public int Revision { get; set; }
}

internal sealed class NotificationChannelConfiguration : IEntityTypeConfiguration<NotificationChannel>
{
    public void Configure(EntityTypeBuilder<NotificationChannel> builder)
    {
        builder.ToTable("NotificationChannels");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Name).HasMaxLength(100);
        builder.HasIndex(c => c.Name).IsUnique();
        builder.Property(c => c.Kind).HasConversion<string>().HasMaxLength(20);
        builder.Property(c => c.SmtpHost).HasMaxLength(300);
        builder.Property(c => c.SmtpSecurity).HasMaxLength(20);
        builder.Property(c => c.SmtpUser).HasMaxLength(300);
        builder.Property(c => c.From).HasMaxLength(300);
        builder.Property(c => c.Destination).HasMaxLength(400);
        builder.Property(c => c.ProtectedSecrets).HasMaxLength(8000);
        builder.Property(c => c.UpdatedBy).HasMaxLength(300);
        builder.Property(c => c.Revision).IsConcurrencyToken();
    }
}
