using KmsConsole.Rotation.Notifications;
using KmsConsole.Web.Components.Shared;
using KmsConsole.Web.Notifications;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace KmsConsole.Web.Components.Notifications;

/// <summary>
/// The Admin's page of notification channels: those of configuration and those made here, each with a test message;
/// making, changing, disabling and deleting the console's own. The rules and the Admin check live in
/// <see cref="ConsoleChannels"/>; this page shows each refusal next to the field it names.
/// </summary>
public partial class ChannelsPage
{
    [Inject] private ConsoleChannels Channels { get; set; } = default!;

    [Inject] private ChannelTests Tests { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private readonly FieldRefusals _fields = new(nameof(ChannelDraft.Kind), nameof(ChannelDraft.Name), nameof(ChannelDraft.Url), nameof(ChannelDraft.Secret),
        nameof(ChannelDraft.SmtpHost), nameof(ChannelDraft.SmtpPort), nameof(ChannelDraft.SmtpSecurity), nameof(ChannelDraft.SmtpUser),
        nameof(ChannelDraft.SmtpPassword), nameof(ChannelDraft.From));

    private readonly Dictionary<string, DeliveryOutcome> _tested = new(StringComparer.Ordinal);
    private Actor _actor = default!;
    private bool _isAdmin;
    private IReadOnlyList<ChannelView> _channels = [];
    private ChannelDraft _draft = new();
    private ChannelView? _editing;
    private Guid? _deleting;
    private string? _refusal;
    private string? _saved;
    private bool _busy;

    private string UrlLabel => _draft.Kind switch
    {
        ChannelKind.Slack => "Slack incoming webhook address",
        ChannelKind.Teams => "Teams workflow webhook address",
        _ => "Webhook address",
    };

    protected override async Task OnInitializedAsync()
    {
        _actor = ConsoleActor.From((await AuthenticationState).User);
        _isAdmin = _actor.Roles.Contains(Roles.Admin);
        if (_isAdmin)
        {
            _channels = await Channels.ListAsync(_actor);
        }
    }

    private void ChooseKind(ChannelKind kind)
    {
        _draft.Kind = kind;
        _fields.Clear();
    }

    private void Change(string field, Action set)
    {
        set();
        _fields.Clear(field);
    }

    private void New()
    {
        _editing = null;
        _draft = new ChannelDraft();
        _fields.Clear();
    }

    private void Edit(ChannelView channel)
    {
        _editing = channel;
        _saved = null;
        _refusal = null;
        _fields.Clear();
        // Secrets stay empty: they are never shown back, and left empty they are kept.
        _draft = new ChannelDraft
        {
            Name = channel.Name,
            Kind = channel.Kind,
            SmtpHost = channel.SmtpHost,
            SmtpPort = channel.SmtpPort,
            SmtpSecurity = channel.SmtpSecurity,
            SmtpUser = channel.SmtpUser,
            From = channel.From,
        };
    }

    private Task SaveAsync() => ActAsync(async () =>
    {
        var saved = _editing is { } editing
            ? await Channels.UpdateAsync(_actor, editing.Id, editing.Revision, _draft)
            : await Channels.CreateAsync(_actor, _draft);
        _saved = _editing is null ? $"Channel '{saved.Name}' made; send it a test message to check it." : $"Channel '{saved.Name}' saved.";
        New();
    });

    private Task SetEnabledAsync(ChannelView channel, bool enabled) => ActAsync(async () =>
    {
        await Channels.SetEnabledAsync(_actor, channel.Id, channel.Revision, enabled);
        _saved = $"Channel '{channel.Name}' {(enabled ? "enabled" : "disabled: new events skip it")}.";
    });

    private Task DeleteAsync(ChannelView channel) => ActAsync(async () =>
    {
        await Channels.DeleteAsync(_actor, channel.Id, channel.Revision);
        _saved = $"Channel '{channel.Name}' deleted.";
        if (_editing?.Id == channel.Id)
        {
            New();
        }
    });

    private Task TestAsync(string channel) => ActAsync(async () => _tested[channel] = await Tests.SendAsync(_actor, channel));

    /// <summary>Runs one action; a refusal goes to its field when it names one of this form, else above the list.</summary>
    private async Task ActAsync(Func<Task> action)
    {
        _busy = true;
        _refusal = null;
        _saved = null;
        _deleting = null;
        _fields.Clear();
        try
        {
            await action();
        }
        catch (RotationRefusedException refused)
        {
            if (!_fields.TryHold(refused))
            {
                _refusal = refused.Message;
            }
        }
        finally
        {
            _busy = false;
        }

        _channels = await Channels.ListAsync(_actor);
    }

    private static string KindLabel(ChannelKind kind) => kind switch
    {
        ChannelKind.Email => "E-mail (SMTP)",
        ChannelKind.Slack => "Slack",
        ChannelKind.Teams => "Microsoft Teams",
        _ => "Standard Webhooks",
    };
}
