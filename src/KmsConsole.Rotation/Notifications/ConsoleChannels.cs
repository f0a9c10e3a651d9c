using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Notifications;

/// <summary>
/// A channel as an Admin fills it in. On a change, a secret left empty (<see cref="Url"/> of a Slack, Teams or webhook
/// channel, <see cref="Secret"/>, <see cref="SmtpPassword"/>) keeps the stored one: secrets are never shown back.
/// </summary>
public sealed class ChannelDraft
{
    public string Name { get; set; } = "";

    public ChannelKind Kind { get; set; } = ChannelKind.Webhook;

    public string? Url { get; set; }

    public string? Secret { get; set; }

    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 587;

    public string SmtpSecurity { get; set; } = "StartTls";

    public string? SmtpUser { get; set; }

    public string? SmtpPassword { get; set; }

    public string? From { get; set; }
}

/// <summary>A channel as the page lists it: where it sends by host only, never a secret.</summary>
/// <param name="FromConfiguration">Set in <c>Notifications:Channels</c>: shown and tested here, changed only in configuration.</param>
public sealed record ChannelView(Guid Id, string Name, ChannelKind Kind, bool Enabled, string Destination, string? SmtpHost, int SmtpPort,
    string SmtpSecurity, string? SmtpUser, string? From, bool HasSmtpPassword, string UpdatedBy, DateTimeOffset UpdatedAt, int Revision,
    bool FromConfiguration);

/// <summary>
/// The channels an Admin makes in the console, next to those of configuration: listed, made, changed, disabled and
/// deleted by Admins only, each change audited (the channel and who, never a secret). Two Admins changing one channel at
/// once: the second is told it changed (<see cref="NotificationChannel.Revision"/>).
/// </summary>
public sealed class ConsoleChannels
{
    private readonly RotationStore _store;
    private readonly ChannelSecrets _secrets;
    private readonly NotificationOptions _options;

    internal ConsoleChannels(RotationStore store, ChannelSecrets secrets, IOptions<NotificationOptions> options)
    {
        _store = store;
        _secrets = secrets;
        _options = options.Value;
    }

    public async Task<IReadOnlyList<ChannelView>> ListAsync(Actor admin, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "see the notification channels");
        var configured = _options.Channels.Where(c => !string.IsNullOrWhiteSpace(c.Name)).Select(c => new ChannelView(Guid.Empty, c.Name, c.Kind, true,
            ChannelRules.Destination(c), c.SmtpHost, c.SmtpPort, c.SmtpSecurity, c.SmtpUser, c.From, !string.IsNullOrEmpty(c.SmtpPassword), "configuration",
            DateTimeOffset.MinValue, 0, true));
        await using var db = await _store.ReadAsync(cancellationToken);
        var made = (await db.NotificationChannels.AsNoTracking().ToListAsync(cancellationToken)).Select(View);
        return configured.Concat(made.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    public Task<ChannelView> CreateAsync(Actor admin, ChannelDraft draft, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "make a notification channel");
        ArgumentNullException.ThrowIfNull(draft);
        return _store.WriteAsync(async (db, audit) =>
        {
            var channel = new NotificationChannel { Id = Guid.NewGuid(), Kind = draft.Kind };
            var settings = Settings(draft, new ChannelSecretValues(null, null, null));
            await CheckAsync(db, settings, channel.Id, cancellationToken);
            Apply(channel, settings, admin);
            db.NotificationChannels.Add(channel);
            await audit.AppendAsync(admin.UserId, "notification.channel-created", Subject(channel),
                $"{channel.Kind} channel '{channel.Name}' made by {admin.DisplayName}, sending to {channel.Destination}");
            return View(channel);
        }, cancellationToken);
    }

    /// <param name="revision">The <see cref="ChannelView.Revision"/> the Admin saw.</param>
    public Task<ChannelView> UpdateAsync(Actor admin, Guid id, int revision, ChannelDraft draft, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "change a notification channel");
        ArgumentNullException.ThrowIfNull(draft);
        return ChangeAsync(id, revision, async (db, channel, audit) =>
        {
            if (draft.Kind != channel.Kind)
            {
                throw Invalid([(nameof(ChannelDraft.Kind), $"'{channel.Name}' stays a {channel.Kind} channel; make a new channel for {draft.Kind}.")]);
            }

            var before = Settings(channel, _secrets.Unprotect(channel.Id, channel.ProtectedSecrets));
            var settings = Settings(draft, new ChannelSecretValues(before.Url, before.Secret, before.SmtpPassword));
            await CheckAsync(db, settings, channel.Id, cancellationToken);
            var changed = Changed(before, settings);
            var name = channel.Name;
            Apply(channel, settings, admin);
            await audit.AppendAsync(admin.UserId, "notification.channel-changed", Subject(channel),
                $"{channel.Kind} channel '{name}'{(name == channel.Name ? "" : $" (now '{channel.Name}')")} changed by {admin.DisplayName}: " +
                $"{(changed.Count == 0 ? "nothing" : string.Join(", ", changed))}; sending to {channel.Destination}");
        }, cancellationToken);
    }

    /// <summary>Turns a channel off (new events skip it; what waits for it is not sent) or on again.</summary>
    public Task<ChannelView> SetEnabledAsync(Actor admin, Guid id, int revision, bool enabled, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, enabled ? "enable a notification channel" : "disable a notification channel");
        return ChangeAsync(id, revision, async (_, channel, audit) =>
        {
            channel.Enabled = enabled;
            channel.UpdatedBy = admin.UserId;
            channel.UpdatedAt = _store.Time.GetUtcNow();
            await audit.AppendAsync(admin.UserId, enabled ? "notification.channel-enabled" : "notification.channel-disabled", Subject(channel),
                $"{channel.Kind} channel '{channel.Name}' {(enabled ? "enabled" : "disabled")} by {admin.DisplayName}");
        }, cancellationToken);
    }

    public async Task DeleteAsync(Actor admin, Guid id, int revision, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "delete a notification channel");
        await ChangeAsync(id, revision, async (db, channel, audit) =>
        {
            db.NotificationChannels.Remove(channel);
            await audit.AppendAsync(admin.UserId, "notification.channel-deleted", Subject(channel),
                $"{channel.Kind} channel '{channel.Name}' deleted by {admin.DisplayName}");
        }, cancellationToken);
    }

    /// <summary>Records a test message's outcome in the audit trail (the receiver's answer, which holds no secret).</summary>
    public Task RecordTestAsync(Actor admin, string channelName, DeliveryOutcome outcome, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "send a test message on a channel");
        ArgumentNullException.ThrowIfNull(outcome);
        return _store.WriteAsync(audit => audit.AppendAsync(admin.UserId, "notification.channel-tested", $"notification-channel/{channelName}",
            $"Test message on '{channelName}' sent by {admin.DisplayName}: {(outcome.Delivered ? "delivered" : "not delivered")} ({outcome.Description})"),
            cancellationToken);
    }

    private async Task<ChannelView> ChangeAsync(Guid id, int revision, Func<RotationDbContext, NotificationChannel, AuditWriter, Task> change,
        CancellationToken cancellationToken)
    {
        try
        {
            return await _store.WriteAsync(async (db, audit) =>
            {
                var channel = await db.NotificationChannels.FirstOrDefaultAsync(c => c.Id == id, cancellationToken)
                    ?? throw new RotationRefusedException("That notification channel no longer exists.", kind: RefusalKind.NotFound);
                if (channel.Revision != revision)
                {
                    throw Changed(channel);
                }

                // The row is saved only if nobody saved it since it was read here (the token is checked by the UPDATE itself).
                db.Entry(channel).Property(c => c.Revision).OriginalValue = revision;
                channel.Revision = revision + 1;
                await change(db, channel, audit);
                return View(channel);
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RotationRefusedException("Another Admin changed or deleted this channel at the same moment; open it again.", kind: RefusalKind.Conflict);
        }
    }

    private async Task CheckAsync(RotationDbContext db, ChannelOptions settings, Guid id, CancellationToken cancellationToken)
    {
        var problems = ChannelRules.Check(settings).ToList();
        var name = settings.Name;
        if (!problems.Any(p => p.Field == nameof(ChannelOptions.Name)))
        {
            var taken = _options.ChannelNames.Contains(name, StringComparer.OrdinalIgnoreCase)
                        || (await db.NotificationChannels.AsNoTracking().Where(c => c.Id != id).Select(c => c.Name).ToListAsync(cancellationToken))
                            .Contains(name, StringComparer.OrdinalIgnoreCase);
            if (taken)
            {
                problems.Insert(0, (nameof(ChannelOptions.Name), $"There is a channel named '{name}' already."));
            }
        }

        if (problems.Count > 0)
        {
            throw Invalid(problems);
        }
    }

    private static RotationRefusedException Invalid(IReadOnlyList<(string Field, string Problem)> problems) =>
        new($"The channel cannot be saved: {string.Join(" ", problems.Select(p => p.Problem))}", problems.Select(p => p.Problem).ToList(), RefusalKind.Invalid)
        {
            Field = problems[0].Field,
            FieldProblems = problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => string.Join(" ", g.Select(p => p.Problem))),
        };

    private static RotationRefusedException Changed(NotificationChannel channel) =>
        new($"'{channel.Name}' was changed by {channel.UpdatedBy} since you opened it; open it again to see what they saved.", kind: RefusalKind.Conflict);

    private void Apply(NotificationChannel channel, ChannelOptions settings, Actor admin)
    {
        channel.Name = settings.Name;
        channel.SmtpHost = settings.Kind == ChannelKind.Email ? settings.SmtpHost : null;
        channel.SmtpPort = settings.SmtpPort;
        channel.SmtpSecurity = settings.SmtpSecurity;
        channel.SmtpUser = settings.Kind == ChannelKind.Email ? settings.SmtpUser : null;
        channel.From = settings.Kind == ChannelKind.Email ? settings.From : null;
        channel.Destination = ChannelRules.Destination(settings);
        var secrets = settings.Kind == ChannelKind.Email
            ? new ChannelSecretValues(null, null, settings.SmtpPassword)
            : new ChannelSecretValues(settings.Url, settings.Kind == ChannelKind.Webhook ? settings.Secret : null, null);
        // Never in the clear: with nothing secret the column stays empty, with a secret and no key the change is refused.
        channel.ProtectedSecrets = secrets is { Url: null, Secret: null, SmtpPassword: null or "" } ? null : _secrets.Protect(channel.Id, secrets);
        channel.UpdatedBy = admin.UserId;
        channel.UpdatedAt = _store.Time.GetUtcNow();
    }

    /// <summary>The draft as settings, its empty secrets taken from <paramref name="kept"/>.</summary>
    private static ChannelOptions Settings(ChannelDraft draft, ChannelSecretValues kept) => new()
    {
        Name = draft.Name.Trim(),
        Kind = draft.Kind,
        Url = string.IsNullOrWhiteSpace(draft.Url) ? kept.Url : draft.Url.Trim(),
        Secret = string.IsNullOrWhiteSpace(draft.Secret) ? kept.Secret : draft.Secret.Trim(),
        SmtpHost = draft.SmtpHost?.Trim(),
        SmtpPort = draft.SmtpPort,
        SmtpSecurity = draft.SmtpSecurity,
        SmtpUser = string.IsNullOrWhiteSpace(draft.SmtpUser) ? null : draft.SmtpUser.Trim(),
        SmtpPassword = string.IsNullOrEmpty(draft.SmtpPassword) ? kept.SmtpPassword : draft.SmtpPassword,
        From = draft.From?.Trim(),
    };

    internal static ChannelOptions Settings(NotificationChannel channel, ChannelSecretValues secrets) => new()
    {
        Name = channel.Name,
        Kind = channel.Kind,
        Url = secrets.Url,
        Secret = secrets.Secret,
        SmtpHost = channel.SmtpHost,
        SmtpPort = channel.SmtpPort,
        SmtpSecurity = channel.SmtpSecurity,
        SmtpUser = channel.SmtpUser,
        SmtpPassword = secrets.SmtpPassword,
        From = channel.From,
    };

    /// <summary>The settings a change touched, by name only: the audit trail says a secret changed, never what it is.</summary>
    private static List<string> Changed(ChannelOptions before, ChannelOptions after)
    {
        var changed = new List<string>();
        void Compare(string name, string? a, string? b)
        {
            if (!string.Equals(a, b, StringComparison.Ordinal))
            {
                changed.Add(name);
            }
        }

        Compare(nameof(ChannelOptions.Name), before.Name, after.Name);
        Compare(nameof(ChannelOptions.Url), before.Url, after.Url);
        Compare(nameof(ChannelOptions.Secret), before.Secret, after.Secret);
        Compare(nameof(ChannelOptions.SmtpHost), before.SmtpHost, after.SmtpHost);
        Compare(nameof(ChannelOptions.SmtpPort), before.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            after.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Compare(nameof(ChannelOptions.SmtpSecurity), before.SmtpSecurity, after.SmtpSecurity);
        Compare(nameof(ChannelOptions.SmtpUser), before.SmtpUser, after.SmtpUser);
        Compare(nameof(ChannelOptions.SmtpPassword), before.SmtpPassword, after.SmtpPassword);
        Compare(nameof(ChannelOptions.From), before.From, after.From);
        return changed;
    }

    private static string Subject(NotificationChannel channel) => $"notification-channel/{channel.Name}";

    private static ChannelView View(NotificationChannel c) => new(c.Id, c.Name, c.Kind, c.Enabled, c.Destination, c.SmtpHost, c.SmtpPort, c.SmtpSecurity,
        c.SmtpUser, c.From, c.Kind == ChannelKind.Email && c.ProtectedSecrets is not null, c.UpdatedBy, c.UpdatedAt, c.Revision, false);
}

/// <summary>
/// The one place a channel is found by name, for the outbox (which channels an event goes to) and for sending (a
/// channel's settings with its secrets): those of configuration first, then those made in the console.
/// </summary>
public sealed class NotificationChannelDirectory
{
    private readonly RotationStore _store;
    private readonly ChannelSecrets _secrets;
    private readonly NotificationOptions _options;

    internal NotificationChannelDirectory(RotationStore store, ChannelSecrets secrets, IOptions<NotificationOptions> options)
    {
        _store = store;
        _secrets = secrets;
        _options = options.Value;
    }

    /// <summary>The channels a new event goes to: configuration's and the enabled console channels.</summary>
    internal static async Task<IReadOnlyList<string>> NamesAsync(RotationDbContext db, NotificationOptions options, CancellationToken cancellationToken)
    {
        var made = await db.NotificationChannels.AsNoTracking().Where(c => c.Enabled).Select(c => c.Name).ToListAsync(cancellationToken);
        return [.. options.ChannelNames, .. made.Where(n => !options.ChannelNames.Contains(n, StringComparer.OrdinalIgnoreCase))];
    }

    /// <summary>
    /// A channel's settings, secrets included, to send with; null when there is no such channel (deleted) or it is disabled
    /// and <paramref name="evenDisabled"/> is false. Refuses when the console's secrets do not open (<c>Notifications:SecretKey</c>).
    /// </summary>
    public async Task<ChannelOptions?> FindAsync(string name, bool evenDisabled = false, CancellationToken cancellationToken = default)
    {
        if (_options.Channels.FirstOrDefault(c => c.Name == name) is { } configured)
        {
            return configured;
        }

        await using var db = await _store.ReadAsync(cancellationToken);
        var channel = await db.NotificationChannels.AsNoTracking().FirstOrDefaultAsync(c => c.Name == name && (evenDisabled || c.Enabled), cancellationToken);
        return channel is null ? null : ConsoleChannels.Settings(channel, _secrets.Unprotect(channel.Id, channel.ProtectedSecrets));
    }
}
