using KmsConsole.Rotation.Notifications;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Notifications;

/// <summary>Channels an Admin makes in the console: Admin only, checked field by field, audited without a secret, never stored in the clear.</summary>
public sealed class ConsoleChannelTests
{
    internal static readonly Actor Adam = new("adam", "Adam Admin", new HashSet<string> { Roles.Admin });
    internal const string SecretKey = "q83vEjRWq4XTZCGh7z8lXzNB0N0Nd6uP3hWpqCUSZ9o=";
    internal const string WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SlackUrl = "https://hooks.slack.example/services/T000/B000/XXXXSECRETPATH";

    internal static Task<RotationWorld> WorldAsync(string? secretKey = SecretKey, params ChannelOptions[] configured) =>
        RotationWorld.StartAsync(seed: false, services: (s, _) => s.Configure<NotificationOptions>(o =>
        {
            o.SecretKey = secretKey;
            o.Channels.AddRange(configured);
        }));

    internal static ChannelDraft Webhook(string name = "pipeline hooks", string url = "https://hooks.example.test/kms/receive") =>
        new() { Name = name, Kind = ChannelKind.Webhook, Url = url, Secret = WebhookSecret };

    [Fact]
    public async Task An_admin_makes_a_webhook_channel_whose_secrets_are_stored_only_encrypted_and_shown_by_host()
    {
        await using var world = await WorldAsync();
        var channels = world.Get<ConsoleChannels>();

        var made = await channels.CreateAsync(Adam, Webhook());

        Assert.Equal("https://hooks.example.test/…", made.Destination);
        Assert.True(made.Enabled);
        var listed = Assert.Single(await channels.ListAsync(Adam));
        Assert.Equal(made.Id, listed.Id);
        await using var db = await world.Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();
        var row = await db.NotificationChannels.AsNoTracking().SingleAsync();
        var stored = string.Join("|", row.Name, row.Destination, row.ProtectedSecrets, row.SmtpHost, row.From);
        Assert.DoesNotContain("MfKQ9r8GKYqr", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("/kms/receive", stored, StringComparison.Ordinal);
        Assert.StartsWith("v1.", row.ProtectedSecrets, StringComparison.Ordinal);
        var settings = await world.Get<NotificationChannelDirectory>().FindAsync("pipeline hooks");
        Assert.Equal("https://hooks.example.test/kms/receive", settings!.Url);
        Assert.Equal(WebhookSecret, settings.Secret);
    }

    [Fact]
    public async Task Every_change_is_audited_naming_the_channel_and_who_but_never_a_secret()
    {
        await using var world = await WorldAsync();
        var channels = world.Get<ConsoleChannels>();
        var made = await channels.CreateAsync(Adam, new ChannelDraft { Name = "ops slack", Kind = ChannelKind.Slack, Url = SlackUrl });
        var changed = await channels.UpdateAsync(Adam, made.Id, made.Revision,
            new ChannelDraft { Name = "ops slack", Kind = ChannelKind.Slack, Url = SlackUrl.Replace("XXXX", "YYYY", StringComparison.Ordinal) });
        var disabled = await channels.SetEnabledAsync(Adam, made.Id, changed.Revision, enabled: false);
        await channels.DeleteAsync(Adam, made.Id, disabled.Revision);

        await using var db = await world.Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();
        var events = await db.AuditEvents.AsNoTracking().Where(e => e.Subject == "notification-channel/ops slack").OrderBy(e => e.Sequence).ToListAsync();
        Assert.Equal(["notification.channel-created", "notification.channel-changed", "notification.channel-disabled", "notification.channel-deleted"],
            events.Select(e => e.Action));
        Assert.All(events, e => Assert.Equal("adam", e.Actor));
        Assert.All(events, e => Assert.Contains("'ops slack'", e.Details, StringComparison.Ordinal));
        Assert.Contains("changed by Adam Admin: Url", events[1].Details, StringComparison.Ordinal);
        Assert.All(events, e => Assert.DoesNotContain("SECRETPATH", e.Details, StringComparison.Ordinal));
        Assert.Empty(await db.NotificationChannels.ToListAsync());
    }

    [Fact]
    public async Task Only_an_admin_lists_makes_or_changes_channels()
    {
        await using var world = await WorldAsync();
        var channels = world.Get<ConsoleChannels>();
        var made = await channels.CreateAsync(Adam, Webhook());

        await Assert.ThrowsAsync<RotationAuthorizationException>(() => channels.ListAsync(RotationWorld.Bob));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => channels.CreateAsync(RotationWorld.Dave, Webhook("other")));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => channels.UpdateAsync(RotationWorld.Erin, made.Id, made.Revision, Webhook()));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => channels.SetEnabledAsync(RotationWorld.Bob, made.Id, made.Revision, false));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => channels.DeleteAsync(RotationWorld.Victor, made.Id, made.Revision));
    }

    [Fact]
    public async Task Each_kind_is_checked_and_every_problem_names_its_field()
    {
        await using var world = await WorldAsync(configured: new ChannelOptions { Name = "mail", Kind = ChannelKind.Email, SmtpHost = "smtp.example.test", From = "k@example.test" });
        var channels = world.Get<ConsoleChannels>();

        var mail = await Assert.ThrowsAsync<RotationRefusedException>(() => channels.CreateAsync(Adam,
            new ChannelDraft { Name = "Mail", Kind = ChannelKind.Email, SmtpHost = "smtp://x", SmtpPort = 0, SmtpSecurity = "None", From = "not an address" }));
        Assert.Equal(RefusalKind.Invalid, mail.Kind);
        Assert.Equal(["Name", "SmtpHost", "SmtpPort", "SmtpSecurity", "From"], mail.FieldProblems.Keys);
        Assert.Contains("'Mail' already", mail.FieldProblems["Name"], StringComparison.Ordinal);

        var slack = await Assert.ThrowsAsync<RotationRefusedException>(() => channels.CreateAsync(Adam,
            new ChannelDraft { Name = "slack", Kind = ChannelKind.Slack, Url = "http://hooks.slack.example/services/x" }));
        Assert.Equal("Url", slack.Field);
        Assert.Contains("https://", slack.FieldProblems["Url"], StringComparison.Ordinal);

        var hook = await Assert.ThrowsAsync<RotationRefusedException>(() => channels.CreateAsync(Adam,
            new ChannelDraft { Name = "hooks", Kind = ChannelKind.Webhook, Url = "https://hooks.example.test/", Secret = "whsec_short" }));
        Assert.Equal(["Secret"], hook.FieldProblems.Keys);

        var insecure = await Assert.ThrowsAsync<RotationRefusedException>(() => channels.CreateAsync(Adam,
            new ChannelDraft { Name = "relay", Kind = ChannelKind.Email, SmtpHost = "smtp.example.test", SmtpSecurity = "None", From = "k@example.test" }));
        Assert.Contains("loopback", insecure.FieldProblems["SmtpSecurity"], StringComparison.Ordinal);
        Assert.DoesNotContain(await channels.ListAsync(Adam), c => !c.FromConfiguration);
    }

    [Fact]
    public async Task Without_a_secret_key_a_channel_with_a_secret_is_refused_and_nothing_is_stored()
    {
        await using var world = await WorldAsync(secretKey: null);
        var channels = world.Get<ConsoleChannels>();

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => channels.CreateAsync(Adam, Webhook()));

        Assert.Contains("Notifications:SecretKey is not set", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WebhookSecret, refused.Message, StringComparison.Ordinal);
        await using var db = await world.Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();
        Assert.Empty(await db.NotificationChannels.ToListAsync());
        // A mail server without a login has nothing secret to keep.
        var mail = await channels.CreateAsync(Adam, new ChannelDraft { Name = "mail", Kind = ChannelKind.Email, SmtpHost = "smtp.example.test", From = "k@example.test" });
        Assert.Equal("smtp://smtp.example.test:587", mail.Destination);
    }

    [Fact]
    public async Task A_change_keeps_the_secrets_left_empty_and_a_stale_revision_is_told_who_changed_it()
    {
        await using var world = await WorldAsync();
        var channels = world.Get<ConsoleChannels>();
        var made = await channels.CreateAsync(Adam, Webhook());

        var renamed = await channels.UpdateAsync(Adam, made.Id, made.Revision, new ChannelDraft { Name = "release hooks", Kind = ChannelKind.Webhook });

        Assert.Equal(made.Revision + 1, renamed.Revision);
        var settings = await world.Get<NotificationChannelDirectory>().FindAsync("release hooks");
        Assert.Equal(WebhookSecret, settings!.Secret);
        Assert.Equal("https://hooks.example.test/kms/receive", settings.Url);
        var stale = await Assert.ThrowsAsync<RotationRefusedException>(() => channels.SetEnabledAsync(Adam, made.Id, made.Revision, false));
        Assert.Equal(RefusalKind.Conflict, stale.Kind);
        Assert.Contains("changed by adam", stale.Message, StringComparison.Ordinal);
        var kind = await Assert.ThrowsAsync<RotationRefusedException>(() =>
            channels.UpdateAsync(Adam, made.Id, renamed.Revision, new ChannelDraft { Name = "release hooks", Kind = ChannelKind.Slack }));
        Assert.Equal("Kind", kind.Field);
    }

    [Fact]
    public async Task A_run_event_gets_a_delivery_on_each_enabled_console_channel_as_on_a_configured_one()
    {
        await using var world = await WorldAsync(configured: new ChannelOptions { Name = "mail", Kind = ChannelKind.Email, SmtpHost = "127.0.0.1", SmtpSecurity = "None", From = "k@example.test" });
        var channels = world.Get<ConsoleChannels>();
        await channels.CreateAsync(Adam, Webhook("on"));
        var off = await channels.CreateAsync(Adam, Webhook("off"));
        await channels.SetEnabledAsync(Adam, off.Id, off.Revision, enabled: false);
        var (_, alias) = await world.NewAwsKeyAsync();
        await world.Inventory.SyncAsync(null);

        await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey);
        await world.NewOrchestrator().DrainAsync(CancellationToken.None);

        await using var db = await world.Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();
        var message = await db.NotificationMessages.AsNoTracking().Include(m => m.Deliveries).SingleAsync(m => m.Event == NotificationEvent.ApprovalNeeded);
        Assert.Equal(["mail", "on"], message.Deliveries.Select(d => d.Channel).Order());
        Assert.Null(await world.Get<NotificationChannelDirectory>().FindAsync("off"));
        Assert.NotNull(await world.Get<NotificationChannelDirectory>().FindAsync("off", evenDisabled: true));
    }
}
