using KmsConsole.Rotation.Notifications;

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
        builder.Services.AddSingleton<NotificationChannelResolver>();
        builder.Services.AddHostedService<DemoUserAddresses>();
        builder.Services.AddSingleton<NotificationSender>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NotificationSender>());
        return builder;
    }

    /// <summary>Every problem of the channel settings at once, each naming the setting (the rules are those of a channel made in the console).</summary>
    public static IReadOnlyList<string> Check(NotificationOptions options)
    {
        var problems = new List<string>();
        for (var i = 0; i < options.Channels.Count; i++)
        {
            var channel = options.Channels[i];
            problems.AddRange(ChannelRules.Check(channel).Select(p => $"Notifications:Channels:{i}:{p.Field}: {p.Problem}" +
                (p.Field == nameof(ChannelOptions.Secret) ? " Pass it as an environment variable or from a secret store." : "")));
        }

        if (options.Channels.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != options.Channels.Count)
        {
            problems.Add("Notifications:Channels names must be unique.");
        }

        if (!ChannelRules.IsSecretKey(options.SecretKey))
        {
            problems.Add("Notifications:SecretKey must be 32 random bytes in base64 (e.g. openssl rand -base64 32).");
        }

        return problems;
    }
}
