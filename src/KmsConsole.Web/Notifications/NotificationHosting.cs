using KmsConsole.Rotation.Notifications;
using KmsConsole.Web.SignIn;

namespace KmsConsole.Web.Notifications;

/// <summary>Registers the channels of <c>Notifications:Channels</c>, checked at start, and the sender.</summary>
public static class NotificationHosting
{
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(NotificationOptions.SectionName).Get<NotificationOptions>() ?? new NotificationOptions();
        var problems = Check(options);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }

        // No request logging: a Slack or Teams webhook's address is its credential, and the client's loggers write the
        // whole address of every request. The sender logs each attempt's outcome itself.
        builder.Services.AddHttpClient(nameof(NotificationSender), http => http.Timeout = TimeSpan.FromSeconds(15)).RemoveAllLoggers();
        builder.Services.AddSingleton<ConsoleLinks>();
        builder.Services.AddSingleton<ChannelTests>();
        foreach (var channel in options.Channels)
        {
            builder.Services.AddSingleton<INotificationChannel>(sp =>
            {
                var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(NotificationSender));
                return channel.Kind switch
                {
                    ChannelKind.Email => new EmailChannel(channel),
                    ChannelKind.Slack => new JsonPostChannel(channel, http, NotificationPayloads.Slack),
                    ChannelKind.Teams => new JsonPostChannel(channel, http, NotificationPayloads.Teams),
                    _ => new StandardWebhookChannel(channel, http, sp.GetRequiredService<TimeProvider>()),
                };
            });
        }

        builder.Services.AddHostedService<DemoUserAddresses>();
        builder.Services.AddSingleton<NotificationSender>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NotificationSender>());
        return builder;
    }

    /// <summary>Every problem of the channel settings at once, each naming the setting.</summary>
    public static IReadOnlyList<string> Check(NotificationOptions options)
    {
        var problems = new List<string>();
        for (var i = 0; i < options.Channels.Count; i++)
        {
            var c = options.Channels[i];
            var at = $"Notifications:Channels:{i}";
            if (string.IsNullOrWhiteSpace(c.Name))
            {
                problems.Add($"{at}:Name is missing.");
            }

            if (c.Kind == ChannelKind.Email)
            {
                if (string.IsNullOrWhiteSpace(c.SmtpHost) || string.IsNullOrWhiteSpace(c.From))
                {
                    problems.Add($"{at} (e-mail) needs SmtpHost and From.");
                }

                if (c.SmtpSecurity == "None" && !LocalSignIn.IsLoopback($"smtp://{c.SmtpHost}:{c.SmtpPort}"))
                {
                    problems.Add($"{at}:SmtpSecurity None is only allowed for a server on loopback; use StartTls or SslOnConnect.");
                }

                continue;
            }

            if (!Uri.TryCreate(c.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && url.IsLoopback)))
            {
                problems.Add($"{at}:Url must be an https:// address (http only on loopback).");
            }

            if (c.Kind == ChannelKind.Webhook)
            {
                try
                {
                    StandardWebhookSignature.KeyOf(c.Secret ?? "");
                }
                catch (FormatException)
                {
                    problems.Add($"{at}:Secret must be whsec_ followed by base64; pass it as an environment variable or from a secret store.");
                }
            }
        }

        if (options.Channels.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != options.Channels.Count)
        {
            problems.Add("Notifications:Channels names must be unique.");
        }

        return problems;
    }
}
