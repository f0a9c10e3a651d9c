using System.Net;
using System.Text;
using KmsConsole.Rotation.Notifications;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace KmsConsole.Web.Notifications;

/// <summary>One way out for messages: a channel of <c>Notifications:Channels</c> or one an Admin made in the console.</summary>
public interface INotificationChannel
{
    string Name { get; }

    Task<DeliveryOutcome> SendAsync(DueDelivery due, string link, CancellationToken cancellationToken);
}

/// <summary>
/// The sender of a channel, found by its name wherever it was set (<see cref="NotificationChannelDirectory"/>): the
/// outbox's sender and the test message both send through it, so a console channel sends as a configured one does.
/// </summary>
public sealed class NotificationChannelResolver(NotificationChannelDirectory directory, IHttpClientFactory httpClients, TimeProvider time)
{
    /// <returns>Null when there is no such channel, or it is disabled and <paramref name="evenDisabled"/> is false.</returns>
    public async Task<INotificationChannel?> FindAsync(string name, bool evenDisabled = false, CancellationToken cancellationToken = default) =>
        await directory.FindAsync(name, evenDisabled, cancellationToken) is { } settings ? Create(settings) : null;

    private INotificationChannel Create(ChannelOptions channel)
    {
        var http = httpClients.CreateClient(nameof(NotificationSender));
        return channel.Kind switch
        {
            ChannelKind.Email => new EmailChannel(channel),
            ChannelKind.Slack => new JsonPostChannel(channel, http, NotificationPayloads.Slack),
            ChannelKind.Teams => new JsonPostChannel(channel, http, NotificationPayloads.Teams),
            _ => new StandardWebhookChannel(channel, http, time),
        };
    }
}

/// <summary>The receiver's HTTP answer as an outcome: 2xx delivered; 5xx and 429 retried; any other 4xx refused for good.</summary>
internal static class HttpOutcome
{
    public static async Task<DeliveryOutcome> PostAsync(HttpClient http, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var status = (int)response.StatusCode;
            var described = $"HTTP {status} {response.ReasonPhrase}";
            return response.IsSuccessStatusCode ? DeliveryOutcome.Success(described)
                : status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests ? DeliveryOutcome.TryAgain(described)
                : DeliveryOutcome.Refused(described);
        }
        catch (HttpRequestException e)
        {
            return DeliveryOutcome.TryAgain($"Could not reach the receiver: {e.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryOutcome.TryAgain("The receiver did not answer in time.");
        }
    }

    /// <summary>The address without its path and query, which for Slack and Teams hold the credential.</summary>
    public static string Redacted(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}/…" : "(address)";
}

internal sealed class JsonPostChannel(ChannelOptions options, HttpClient http, Func<NotificationMessage, string, string> payload) : INotificationChannel
{
    public string Name => options.Name;

    public Task<DeliveryOutcome> SendAsync(DueDelivery due, string link, CancellationToken cancellationToken) =>
        HttpOutcome.PostAsync(http, new HttpRequestMessage(HttpMethod.Post, options.Url)
        {
            Content = new StringContent(payload(due.Message, link), Encoding.UTF8, "application/json"),
        }, cancellationToken);
}

/// <summary>Standard Webhooks: the message id is the delivery's event id, so a receiver that sees it twice can tell.</summary>
internal sealed class StandardWebhookChannel(ChannelOptions options, HttpClient http, TimeProvider time) : INotificationChannel
{
    private readonly byte[] _key = StandardWebhookSignature.KeyOf(options.Secret ?? "");

    public string Name => options.Name;

    public Task<DeliveryOutcome> SendAsync(DueDelivery due, string link, CancellationToken cancellationToken)
    {
        var body = NotificationPayloads.Webhook(due.Message, link);
        var id = $"msg_{due.Message.Id:N}";
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, options.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", StandardWebhookSignature.Sign(_key, id, timestamp, body));
        return HttpOutcome.PostAsync(http, request, cancellationToken);
    }
}

/// <summary>E-mail over SMTP with MailKit: one message to the event's recipients, STARTTLS by default, authenticated when a user is set.</summary>
internal sealed class EmailChannel(ChannelOptions options) : INotificationChannel
{
    public string Name => options.Name;

    public async Task<DeliveryOutcome> SendAsync(DueDelivery due, string link, CancellationToken cancellationToken)
    {
        if (due.Recipients.Count == 0)
        {
            return DeliveryOutcome.Success("Nobody to write to: no recipient with an e-mail address wants this event.");
        }

        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(options.From!));
        foreach (var recipient in due.Recipients)
        {
            mail.To.Add(new MailboxAddress(recipient.DisplayName, recipient.Email!));
        }

        mail.Subject = $"[KmsConsole] {NotificationPayloads.Title(due.Message)}";
        mail.Body = new TextPart("plain") { Text = NotificationPayloads.EmailText(due.Message, link) };
        var security = options.SmtpSecurity switch
        {
            "None" => SecureSocketOptions.None,
            "SslOnConnect" => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTls,
        };
        try
        {
            using var smtp = new SmtpClient { Timeout = 30_000 };
            await smtp.ConnectAsync(options.SmtpHost!, options.SmtpPort, security, cancellationToken);
            if (!string.IsNullOrEmpty(options.SmtpUser))
            {
                await smtp.AuthenticateAsync(options.SmtpUser, options.SmtpPassword ?? "", cancellationToken);
            }

            var reply = await smtp.SendAsync(mail, cancellationToken);
            await smtp.DisconnectAsync(true, cancellationToken);
            return DeliveryOutcome.Success($"Sent to {due.Recipients.Count} recipient(s): {reply}");
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode is >= 500 and < 600)
        {
            return DeliveryOutcome.Refused($"SMTP {(int)e.StatusCode}: {e.Message}");
        }
        catch (AuthenticationException e)
        {
            return DeliveryOutcome.Refused($"SMTP authentication failed: {e.Message}");
        }
        catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or IOException or System.Net.Sockets.SocketException or TimeoutException
                                     || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return DeliveryOutcome.TryAgain($"SMTP: {e.Message}");
        }
    }
}
