using KmsConsole.Rotation.Notifications;
using KmsConsole.Testing;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Api.Tests;

/// <summary>Each event once per channel with two consoles on one PostgreSQL database; nothing lost while a receiver is down.</summary>
public sealed class DeliveryGuaranteeTests
{
    [SkippableFact]
    public async Task Two_consoles_on_one_postgresql_database_deliver_each_event_once_per_channel()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        await using var http = await HttpReceiver.StartAsync();
        var settings = NotificationTests.Channels(null, http);
        settings["Notifications:PollInterval"] = "00:00:00.050";
        settings["Rotation:Database:Provider"] = "Postgres";
        settings["Rotation:Database:ConnectionString"] = cluster.ConnectionString;
        await using var first = await ApiConsole.StartAsync(settings);
        await using var second = await ApiConsole.StartAsync(settings);

        // Forty events written as the outbox writes them (a message and a delivery per channel), while both senders poll.
        const int events = 40;
        await using (var db = await first.DatabaseAsync())
        {
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < events; i++)
            {
                db.NotificationMessages.Add(new NotificationMessage
                {
                    Id = Guid.NewGuid(),
                    Event = NotificationEvent.RunSucceeded,
                    CreatedAt = now,
                    RunId = Guid.NewGuid(),
                    Target = "local",
                    Key = $"alias/App{i}",
                    RequestedBy = "rita",
                    RequestedByName = "Rita Requester",
                    Summary = $"Rotation {i} succeeded.",
                    Page = "/runs",
                    Deliveries = [.. new[] { "slack", "teams", "hooks" }.Select(c => new NotificationDelivery { Channel = c, State = DeliveryState.Pending, NextAttemptAt = now })],
                });
            }

            await db.SaveChangesAsync();
        }

        await NotificationTests.Eventually(async () =>
        {
            await using var db = await first.DatabaseAsync();
            return await db.NotificationDeliveries.CountAsync(d => d.State == DeliveryState.Delivered) == events * 3 ? "all delivered" : null;
        });
        await Task.Delay(500);

        Assert.Equal(events * 3, http.Requests.Count);
        Assert.Equal(events, http.Requests.Where(r => r.Path == "/hooks").Select(r => r.Headers["webhook-id"]).Distinct().Count());
        foreach (var path in new[] { "/slack", "/teams" })
        {
            Assert.Equal(events, http.Requests.Where(r => r.Path == path).Select(r => r.Body).Distinct().Count());
        }

        await using var check = await second.DatabaseAsync();
        var attempts = await check.DeliveryAttempts.ToListAsync();
        Assert.Equal(events * 3, attempts.Count);
        Assert.All(attempts, a => Assert.True(a.Succeeded));
    }

    [Fact]
    public async Task A_receiver_that_is_down_gets_every_message_once_it_is_back()
    {
        var port = KmsConsole.Testing.LoopbackPorts.Free()[0];
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:PollInterval"] = "00:00:00.050",
            ["Notifications:FirstBackoff"] = "00:00:00.100",
            ["Notifications:MaxBackoff"] = "00:00:00.400",
            ["Notifications:ConsoleUrl"] = "https://kms.example.test",
            ["Notifications:Channels:0:Name"] = "hooks",
            ["Notifications:Channels:0:Kind"] = "Webhook",
            ["Notifications:Channels:0:Url"] = $"http://127.0.0.1:{port}/hooks",
            ["Notifications:Channels:0:Secret"] = NotificationTests.WebhookSecret,
        };
        await using var console = await ApiConsole.StartAsync(settings);
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        var id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();

        // Nothing listens: each attempt fails to connect and waits longer, up to the maximum.
        var failing = await NotificationTests.Eventually(async () =>
        {
            await using var db = await console.DatabaseAsync();
            var delivery = await db.NotificationDeliveries.Include(d => d.AttemptLog).SingleAsync();
            return delivery.Attempts >= 5 ? delivery : null;
        });
        Assert.Equal(DeliveryState.Pending, failing.State);
        Assert.All(failing.AttemptLog, a => Assert.StartsWith("Could not reach the receiver", a.Outcome, StringComparison.Ordinal));

        await using var http = await HttpReceiver.StartAsync(port);
        var hook = await http.WaitForAsync("/hooks");
        Assert.Contains(id.ToString(), hook.Body, StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Single(http.Requests);
    }

    [Fact]
    public async Task The_default_retries_span_a_receiver_down_for_more_than_an_hour()
    {
        await using var console = await ApiConsole.StartAsync();
        var deliveries = console.Get<NotificationDeliveries>();
        var options = new NotificationOptions();

        // The waits after each failed attempt but the last, before the delivery is given up.
        var span = Enumerable.Range(1, options.MaxAttempts - 1).Select(deliveries.Backoff).Aggregate(TimeSpan.Zero, (sum, wait) => sum + wait);

        Assert.True(span > TimeSpan.FromHours(1), $"The retries span {span}.");
        Assert.Equal(options.FirstBackoff, deliveries.Backoff(1));
        Assert.Equal(options.MaxBackoff, deliveries.Backoff(options.MaxAttempts));
    }
}
