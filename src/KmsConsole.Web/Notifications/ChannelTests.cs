using KmsConsole.Rotation.Notifications;

namespace KmsConsole.Web.Notifications;

/// <summary>
/// Sends a test message on one configured channel at once, outside the outbox, so an Admin sees straight away whether
/// its settings (address, secret, SMTP server and login) work: the answer is what the receiver said. The e-mail goes to
/// the Admin alone; the message says who sent it and nothing else.
/// </summary>
public sealed class ChannelTests(IEnumerable<INotificationChannel> channels, ConsoleUsers users, ConsoleLinks links, TimeProvider time,
    ILogger<ChannelTests> logger)
{
    public async Task<DeliveryOutcome> SendAsync(Actor admin, string channelName, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "send a test message on a channel");
        var channel = channels.FirstOrDefault(c => c.Name == channelName)
            ?? throw new RotationRefusedException($"There is no channel '{channelName}' in Notifications:Channels.", kind: RefusalKind.NotFound);
        var me = await users.FindAsync(admin.UserId, cancellationToken);
        var message = new NotificationMessage
        {
            Id = Guid.NewGuid(),
            Event = NotificationEvent.ChannelTest,
            CreatedAt = time.GetUtcNow(),
            Key = $"channel {channel.Name}",
            RequestedBy = admin.UserId,
            RequestedByName = admin.DisplayName,
            Summary = $"{admin.DisplayName} sent this test message from KmsConsole to check the channel '{channel.Name}'. Nothing waits for you.",
            Page = "/notifications",
        };
        var due = new DueDelivery(new NotificationDelivery { Channel = channel.Name, State = DeliveryState.Pending }, message,
            me?.Email is null ? [] : [me]);
        var outcome = await channel.SendAsync(due, links.To(message.Page), cancellationToken);
        logger.LogInformation("{Admin} sent a test message on {Channel}: {Outcome}", admin.UserId, channel.Name, outcome.Description);
        return outcome;
    }
}
