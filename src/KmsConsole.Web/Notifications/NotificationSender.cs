using KmsConsole.Rotation.Notifications;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Notifications;

/// <summary>
/// Drains the outbox: claims due deliveries (a lease, so one instance sends each), sends each on its channel, records the
/// attempt. A console killed mid-way leaves the delivery pending; it is sent after the lease runs out, by this instance
/// when it starts again or by another one.
/// </summary>
public sealed class NotificationSender(NotificationDeliveries deliveries, NotificationChannelResolver channels, IOptions<NotificationOptions> options,
    ConsoleLinks links, ILogger<NotificationSender> logger) : BackgroundService
{
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SendDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Sending notifications failed; trying again in {Interval}.", options.Value.PollInterval);
            }

            try
            {
                await Task.Delay(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task SendDueAsync(CancellationToken cancellationToken)
    {
        foreach (var due in await deliveries.ClaimDueAsync(_owner, 20, cancellationToken))
        {
            DeliveryOutcome outcome;
            try
            {
                outcome = await channels.FindAsync(due.Delivery.Channel, cancellationToken: cancellationToken) is { } channel
                    ? await channel.SendAsync(due, links.To(due.Message.Page), cancellationToken)
                    : DeliveryOutcome.Refused($"The channel '{due.Delivery.Channel}' is disabled or no longer configured.");
            }
            catch (RotationRefusedException refused)
            {
                // A console channel whose secrets do not open (Notifications:SecretKey missing or changed): an Admin sends it again once fixed.
                outcome = DeliveryOutcome.Refused(refused.Message);
            }

            await deliveries.RecordAsync(due.Delivery.Id, _owner, outcome, CancellationToken.None);
            logger.Log(outcome.Delivered ? LogLevel.Information : LogLevel.Warning, "Notification {Event} for run {RunId} on {Channel}: {Outcome}",
                due.Message.Event, due.Message.RunId, due.Delivery.Channel, outcome.Description);
        }
    }
}

/// <summary>Absolute links to console pages, from <c>Notifications:ConsoleUrl</c> or the address the console listens on.</summary>
public sealed class ConsoleLinks(IOptions<NotificationOptions> options, Microsoft.AspNetCore.Hosting.Server.IServer server)
{
    public string To(string page)
    {
        var root = options.Value.ConsoleUrl
            ?? server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? "http://127.0.0.1:5080";
        return new Uri(new Uri(root.TrimEnd('/') + "/"), page.TrimStart('/')).ToString();
    }
}
