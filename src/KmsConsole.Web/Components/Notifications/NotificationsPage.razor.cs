using KmsConsole.Rotation.Notifications;
using KmsConsole.Web.Notifications;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace KmsConsole.Web.Components.Notifications;

/// <summary>A person's choice of the notifications they receive; for Admins also every delivery with its attempts and "send again".</summary>
public partial class NotificationsPage
{
    [Inject] private NotificationPreferences Preferences { get; set; } = default!;

    [Inject] private NotificationDeliveries Deliveries { get; set; } = default!;

    [Inject] private ConsoleUsers Users { get; set; } = default!;

    [Inject] private ConsoleChannels Channels { get; set; } = default!;

    [Inject] private ChannelTests Tests { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private Actor _actor = default!;
    private bool _isAdmin;
    private string? _email;
    private IReadOnlyDictionary<NotificationEvent, bool> _choices = new Dictionary<NotificationEvent, bool>();
    private IReadOnlyList<ChannelView> _channels = [];
    private IReadOnlyList<(NotificationMessage Message, NotificationDelivery Delivery)> _deliveries = [];
    private string? _refusal;
    private string? _testing;
    private readonly Dictionary<string, DeliveryOutcome> _tested = new(StringComparer.Ordinal);

    protected override async Task OnInitializedAsync()
    {
        _actor = ConsoleActor.From((await AuthenticationState).User);
        _isAdmin = _actor.Roles.Contains(Roles.Admin);
        _email = (await Users.FindAsync(_actor.UserId))?.Email;
        _choices = await Preferences.GetAsync(_actor);
        if (_isAdmin)
        {
            _channels = await Channels.ListAsync(_actor);
            _deliveries = await Deliveries.RecentAsync(_actor);
        }
    }

    private async Task ChooseAsync(NotificationEvent kind, bool receive)
    {
        await Preferences.SetAsync(_actor, kind, receive);
        _choices = await Preferences.GetAsync(_actor);
    }

    private async Task SendAgainAsync(long deliveryId)
    {
        _refusal = null;
        try
        {
            await Deliveries.SendAgainAsync(_actor, deliveryId);
        }
        catch (RotationRefusedException refused)
        {
            _refusal = refused.Message;
        }

        _deliveries = await Deliveries.RecentAsync(_actor);
    }

    private async Task TestAsync(string channel)
    {
        _refusal = null;
        _testing = channel;
        try
        {
            _tested[channel] = await Tests.SendAsync(_actor, channel);
        }
        catch (RotationRefusedException refused)
        {
            _refusal = refused.Message;
        }
        finally
        {
            _testing = null;
        }
    }

    private static string Label(NotificationEvent kind) => NotificationEvents.Of(kind).Label;
}
