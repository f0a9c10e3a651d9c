using KmsConsole.Rotation.Notifications;

namespace KmsConsole.Web.Notifications;

/// <summary>
/// Sends a test message on one channel (of configuration or made in the console, disabled or not) at once, outside the
/// outbox and through the sender the outbox uses, so an Admin sees straight away whether its settings (address, secret,
/// SMTP server and login) work: the answer is what the receiver said, and it is audited. The e-mail goes to the Admin
/// alone; the message says who sent it and nothing else.
/// </summary>
public sealed class ChannelTests(NotificationChannelResolver channels, ConsoleChannels consoleChannels, ConsoleUsers users, ConsoleLinks links,
    TimeProvider time, ILogger<ChannelTests> logger)
{
    public async Task<DeliveryOutcome> SendAsync(Actor admin, string channelName, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "send a test message on a channel");
        var channel = await channels.FindAsync(channelName, evenDisabled: true, cancellationToken)
            ?? throw new RotationRefusedException($"There is no channel '{channelName}'.", kind: RefusalKind.NotFound);
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
        await consoleChannels.RecordTestAsync(admin, channel.Name, outcome, CancellationToken.None);
        return outcome;
    }
}
