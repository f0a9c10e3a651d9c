using System.Text.Json;
using KmsConsole.Rotation.Notifications;
using KmsConsole.Web.Notifications;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Api.Tests;

public sealed class NotificationTests
{
    internal const string WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    internal static Dictionary<string, string?> Channels(SmtpReceiver? smtp, HttpReceiver? http, string firstBackoff = "00:00:00.100",
        params string[] only)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:PollInterval"] = "00:00:00.100",
            ["Notifications:FirstBackoff"] = firstBackoff,
            ["Notifications:MaxBackoff"] = "00:00:01",
            ["Notifications:ConsoleUrl"] = "https://kms.example.test",
        };
        var i = 0;
        if (smtp is not null)
        {
            settings[$"Notifications:Channels:{i}:Name"] = "mail";
            settings[$"Notifications:Channels:{i}:Kind"] = "Email";
            settings[$"Notifications:Channels:{i}:SmtpHost"] = "127.0.0.1";
            settings[$"Notifications:Channels:{i}:SmtpPort"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"Notifications:Channels:{i}:SmtpSecurity"] = "None";
            settings[$"Notifications:Channels:{i++}:From"] = "kmsconsole@example.test";
        }

        if (http is not null)
        {
            foreach (var (name, kind) in new[] { ("slack", "Slack"), ("teams", "Teams"), ("hooks", "Webhook") }.Where(c => only.Length == 0 || only.Contains(c.Item1)))
            {
                settings[$"Notifications:Channels:{i}:Name"] = name;
                settings[$"Notifications:Channels:{i}:Kind"] = kind;
                settings[$"Notifications:Channels:{i}:Url"] = new Uri(http.Address, name).ToString();
                settings[$"Notifications:Channels:{i++}:Secret"] = kind == "Webhook" ? WebhookSecret : null;
            }
        }

        return settings;
    }

    [Fact]
    public async Task A_run_waiting_for_approval_is_mailed_to_everyone_who_may_decide_it_never_to_its_requester()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var console = await ApiConsole.StartAsync(Channels(smtp, null));
        var secret = await console.TokenForAsync(ApiConsole.Demo("rita"));
        using var pipeline = console.Client(secret);
        var id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();

        var mail = await smtp.WaitForAsync(m => m.Subject?.Contains("Approval needed", StringComparison.Ordinal) == true);

        Assert.Equal("[KmsConsole] Approval needed: alias/FirstCMK", mail.Subject);
        var to = mail.To.Mailboxes.Select(m => m.Address).Order().ToList();
        Assert.Equal(["adam@kmsconsole.local", "alice@kmsconsole.local", "bob@kmsconsole.local"], to);
        Assert.Contains($"https://kms.example.test/runs/{id}", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("Rita Requester asks for", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[10..], mail.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhooks_are_signed_as_standard_webhooks_and_slack_and_teams_get_their_own_shapes()
    {
        await using var http = await HttpReceiver.StartAsync();
        await using var console = await ApiConsole.StartAsync(Channels(null, http));
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        var id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();

        var hook = await http.WaitForAsync("/hooks");
        var key = StandardWebhookSignature.KeyOf(WebhookSecret);
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(key,
            System.Text.Encoding.UTF8.GetBytes($"{hook.Headers["webhook-id"]}.{hook.Headers["webhook-timestamp"]}.{hook.Body}")));
        Assert.Equal($"v1,{expected}", hook.Headers["webhook-signature"]);
        Assert.InRange(long.Parse(hook.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        var body = JsonDocument.Parse(hook.Body).RootElement;
        Assert.Equal("kmsconsole.approval-needed", body.GetProperty("type").GetString());
        Assert.Equal(id, body.GetProperty("data").GetProperty("runId").GetGuid());
        Assert.Equal("alias/FirstCMK", body.GetProperty("data").GetProperty("key").GetString());
        Assert.Equal("rita", body.GetProperty("data").GetProperty("requestedBy").GetString());
        Assert.Equal($"https://kms.example.test/runs/{id}", body.GetProperty("data").GetProperty("link").GetString());

        var slack = JsonDocument.Parse((await http.WaitForAsync("/slack")).Body).RootElement;
        Assert.Contains("Approval needed", slack.GetProperty("text").GetString(), StringComparison.Ordinal);
        var blocks = slack.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal(["header", "section", "actions"], blocks.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal($"https://kms.example.test/runs/{id}", blocks[2].GetProperty("elements")[0].GetProperty("url").GetString());

        var teams = JsonDocument.Parse((await http.WaitForAsync("/teams")).Body).RootElement;
        Assert.Equal("message", teams.GetProperty("type").GetString());
        var card = teams.GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", card.GetProperty("contentType").GetString());
        Assert.Equal("AdaptiveCard", card.GetProperty("content").GetProperty("type").GetString());
        Assert.Equal("Action.OpenUrl", card.GetProperty("content").GetProperty("actions")[0].GetProperty("type").GetString());
        // A Slack or Teams address is a credential: never in the log.
        foreach (var channel in new[] { "slack", "teams", "hooks" })
        {
            Assert.DoesNotContain(new Uri(http.Address, channel).ToString(), console.Logs.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_receiver_that_fails_three_times_gets_the_message_on_the_fourth_attempt()
    {
        await using var http = await HttpReceiver.StartAsync();
        foreach (var status in new[] { 503, 500, 429 })
        {
            http.Answers.Enqueue(status);
        }

        await using var console = await ApiConsole.StartAsync(Channels(null, http, only: "hooks"));
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        await ApiConsole.RequestAliasSwapAsync(pipeline);

        await http.WaitForAsync("/hooks");
        await using var db = await console.DatabaseAsync();
        var delivery = await db.NotificationDeliveries.Include(d => d.AttemptLog).SingleAsync();
        Assert.Equal(DeliveryState.Delivered, delivery.State);
        Assert.Equal(["HTTP 503 Service Unavailable", "HTTP 500 Internal Server Error", "HTTP 429 Too Many Requests", "HTTP 200 OK"],
            delivery.AttemptLog.OrderBy(a => a.Id).Select(a => a.Outcome));
        Assert.Equal(4, http.Requests.Count);
        // The same event id on every attempt, so the receiver can tell a retry from a new event.
        Assert.Single(http.Requests.Select(r => r.Headers["webhook-id"]).Distinct());
    }

    [Fact]
    public async Task A_receiver_answering_400_is_not_tried_again_until_an_admin_sends_it_again()
    {
        await using var http = await HttpReceiver.StartAsync();
        http.Answers.Enqueue(400);
        await using var console = await ApiConsole.StartAsync(Channels(null, http, only: "slack"));
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        await ApiConsole.RequestAliasSwapAsync(pipeline);

        var deliveries = console.Get<NotificationDeliveries>();
        var refused = await Eventually(async () => (await deliveries.RecentAsync(ApiConsole.Demo("adam"))).Select(d => d.Delivery)
            .SingleOrDefault(d => d.State == DeliveryState.Refused));
        Assert.Equal(1, refused.Attempts);
        Assert.Equal("HTTP 400 Bad Request", refused.LastError);

        await Assert.ThrowsAsync<KmsConsole.Rotation.RotationAuthorizationException>(() => deliveries.SendAgainAsync(ApiConsole.Demo("alice"), refused.Id));
        await deliveries.SendAgainAsync(ApiConsole.Demo("adam"), refused.Id);
        await http.WaitForAsync("/slack");
        Assert.Equal(2, http.Requests.Count);
    }

    [Fact]
    public async Task A_console_stopped_between_the_change_and_the_send_sends_it_when_it_starts_again()
    {
        await using var http = await HttpReceiver.StartAsync();
        var settings = Channels(null, http);
        settings["Notifications:PollInterval"] = "01:00:00";
        Guid id;
        string folder;
        await using (var first = await ApiConsole.StartAsync(settings, keepFolder: true))
        {
            folder = first.Folder;
            // The sender's first pass ran at start, before the run existed; the next comes in an hour.
            using var pipeline = first.Client(await first.TokenForAsync(ApiConsole.Demo("rita")));
            id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();
            await ApiConsole.PollUntilAsync(pipeline, id, "AwaitingApproval");
            await using var db = await first.DatabaseAsync();
            Assert.Equal(3, await db.NotificationDeliveries.CountAsync(d => d.State == DeliveryState.Pending));
        }

        Assert.Empty(http.Requests);
        settings["Notifications:PollInterval"] = "00:00:00.100";
        await using var again = await ApiConsole.StartAsync(settings, folder);
        var hook = await http.WaitForAsync("/hooks");
        Assert.Equal(id, JsonDocument.Parse(hook.Body).RootElement.GetProperty("data").GetProperty("runId").GetGuid());
        Assert.Single(http.Requests, r => r.Path == "/hooks");
    }

    internal static async Task<T> Eventually<T>(Func<Task<T?>> read)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (await read() is { } value)
            {
                return value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("Not reached in 60 s.");
    }
}

public sealed class ChannelTestTests
{
    [Fact]
    public async Task An_admin_tests_a_channel_at_once_and_reads_what_the_receiver_answered()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var http = await HttpReceiver.StartAsync();
        http.Answers.Enqueue(404);
        await using var console = await ApiConsole.StartAsync(NotificationTests.Channels(smtp, http, only: "hooks"));
        var tests = console.Get<ChannelTests>();

        var refused = await tests.SendAsync(ApiConsole.Demo("adam"), "hooks");
        Assert.False(refused.Delivered);
        Assert.Equal("HTTP 404 Not Found", refused.Description);
        var delivered = await tests.SendAsync(ApiConsole.Demo("adam"), "hooks");
        Assert.True(delivered.Delivered, delivered.Description);
        var hook = await http.WaitForAsync("/hooks");
        Assert.Equal("kmsconsole.channel-test", JsonDocument.Parse(hook.Body).RootElement.GetProperty("type").GetString());
        Assert.StartsWith("v1,", hook.Headers["webhook-signature"], StringComparison.Ordinal);

        Assert.True((await tests.SendAsync(ApiConsole.Demo("adam"), "mail")).Delivered);
        var mail = await smtp.WaitForAsync(m => m.Subject == "[KmsConsole] Test message: channel mail");
        Assert.Equal(["adam@kmsconsole.local"], mail.To.Mailboxes.Select(m => m.Address));

        await Assert.ThrowsAsync<KmsConsole.Rotation.RotationAuthorizationException>(() => tests.SendAsync(ApiConsole.Demo("alice"), "hooks"));
        var unknown = await Assert.ThrowsAsync<KmsConsole.Rotation.RotationRefusedException>(() => tests.SendAsync(ApiConsole.Demo("adam"), "pager"));
        Assert.Equal(KmsConsole.Rotation.RefusalKind.NotFound, unknown.Kind);
        // A test is no event: nothing in the outbox, and nobody can choose to receive it.
        await using var db = await console.DatabaseAsync();
        Assert.Empty(await db.NotificationMessages.Where(m => m.Event == NotificationEvent.ChannelTest).ToListAsync());
        Assert.DoesNotContain(NotificationEvent.ChannelTest, (await console.Get<NotificationPreferences>().GetAsync(ApiConsole.Demo("adam"))).Keys);
    }
}

/// <summary>Channels an Admin makes in the console, sending to real receivers on loopback like configured ones.</summary>
public sealed class ConsoleChannelDeliveryTests
{
    private const string SecretKey = "q83vEjRWq4XTZCGh7z8lXzNB0N0Nd6uP3hWpqCUSZ9o=";

    private static Dictionary<string, string?> Settings() => new()
    {
        ["Notifications:PollInterval"] = "00:00:00.100",
        ["Notifications:FirstBackoff"] = "00:00:00.100",
        ["Notifications:MaxBackoff"] = "00:00:01",
        ["Notifications:ConsoleUrl"] = "https://kms.example.test",
        ["Notifications:SecretKey"] = SecretKey,
    };

    [Fact]
    public async Task A_channel_made_in_the_console_gets_a_signed_standard_webhook_and_mail_and_its_row_holds_no_secret_in_the_clear()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var http = await HttpReceiver.StartAsync();
        await using var console = await ApiConsole.StartAsync(Settings());
        var channels = console.Get<ConsoleChannels>();
        var adam = ApiConsole.Demo("adam");
        var hookUrl = new Uri(http.Address, "console-hooks").ToString();
        await channels.CreateAsync(adam, new ChannelDraft { Name = "pipeline", Kind = ChannelKind.Webhook, Url = hookUrl, Secret = NotificationTests.WebhookSecret });
        await channels.CreateAsync(adam, new ChannelDraft
        {
            Name = "approvers mail", Kind = ChannelKind.Email, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, SmtpSecurity = "None", From = "kmsconsole@example.test",
        });

        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        var id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();

        var hook = await http.WaitForAsync("/console-hooks");
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(StandardWebhookSignature.KeyOf(NotificationTests.WebhookSecret),
            System.Text.Encoding.UTF8.GetBytes($"{hook.Headers["webhook-id"]}.{hook.Headers["webhook-timestamp"]}.{hook.Body}")));
        Assert.Equal($"v1,{expected}", hook.Headers["webhook-signature"]);
        var body = JsonDocument.Parse(hook.Body).RootElement;
        Assert.Equal("kmsconsole.approval-needed", body.GetProperty("type").GetString());
        Assert.Equal(id, body.GetProperty("data").GetProperty("runId").GetGuid());
        var mail = await smtp.WaitForAsync(m => m.Subject == "[KmsConsole] Approval needed: alias/FirstCMK");
        Assert.Equal(["adam@kmsconsole.local", "alice@kmsconsole.local", "bob@kmsconsole.local"], mail.To.Mailboxes.Select(m => m.Address).Order());
        Assert.Contains($"https://kms.example.test/runs/{id}", mail.TextBody, StringComparison.Ordinal);

        await using var db = await console.DatabaseAsync();
        var row = await db.NotificationChannels.AsNoTracking().SingleAsync(c => c.Name == "pipeline");
        Assert.DoesNotContain("console-hooks", row.ProtectedSecrets, StringComparison.Ordinal);
        Assert.DoesNotContain(NotificationTests.WebhookSecret[6..], row.ProtectedSecrets, StringComparison.Ordinal);
        Assert.Equal($"{http.Address.Scheme}://{http.Address.Authority}/…", row.Destination);
        // The database files (with the write-ahead log) hold neither the webhook's secret nor its path.
        var file = string.Concat(await Task.WhenAll(Directory.GetFiles(console.Folder, "kmsconsole.db*").Select(f => File.ReadAllTextAsync(f))));
        Assert.DoesNotContain(NotificationTests.WebhookSecret[6..], file, StringComparison.Ordinal);
        Assert.DoesNotContain("console-hooks", file, StringComparison.Ordinal);
        Assert.DoesNotContain("console-hooks", console.Logs.Text, StringComparison.Ordinal);
        Assert.Equal(2, await db.NotificationDeliveries.CountAsync(d => d.State == DeliveryState.Delivered));
    }

    [Fact]
    public async Task A_test_message_on_a_console_channel_is_delivered_even_while_it_is_disabled_and_a_disabled_channel_gets_no_events()
    {
        await using var http = await HttpReceiver.StartAsync();
        await using var console = await ApiConsole.StartAsync(Settings());
        var channels = console.Get<ConsoleChannels>();
        var adam = ApiConsole.Demo("adam");
        var made = await channels.CreateAsync(adam, new ChannelDraft { Name = "ops", Kind = ChannelKind.Slack, Url = new Uri(http.Address, "slack-ops").ToString() });
        await channels.SetEnabledAsync(adam, made.Id, made.Revision, enabled: false);

        var outcome = await console.Get<ChannelTests>().SendAsync(adam, "ops");

        Assert.True(outcome.Delivered, outcome.Description);
        var slack = JsonDocument.Parse((await http.WaitForAsync("/slack-ops")).Body).RootElement;
        Assert.Contains("Test message", slack.GetProperty("text").GetString(), StringComparison.Ordinal);
        await using var db = await console.DatabaseAsync();
        var audited = await db.AuditEvents.AsNoTracking().Where(e => e.Action == "notification.channel-tested").SingleAsync();
        Assert.Equal("adam", audited.Actor);
        Assert.Contains("delivered (HTTP 200 OK)", audited.Details, StringComparison.Ordinal);

        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        var id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();
        await ApiConsole.PollUntilAsync(pipeline, id, "AwaitingApproval");
        Assert.Empty(await db.NotificationDeliveries.ToListAsync());
        Assert.Single(http.Requests);
    }
}
