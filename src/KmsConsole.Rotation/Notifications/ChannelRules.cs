using System.Net;

namespace KmsConsole.Rotation.Notifications;

/// <summary>
/// What a channel's settings must be, kind by kind, for a channel of configuration (checked at start) and one an Admin
/// makes in the console alike. Each problem names the setting (<see cref="ChannelOptions"/>'s property) at fault.
/// </summary>
public static class ChannelRules
{
    public const int MaxNameLength = 100;

    /// <summary>The bound of an SMTP server's name, a sender's address and an SMTP user (the database's columns).</summary>
    public const int MaxAddressLength = 300;

    public const int MaxUrlLength = 2000;

    /// <summary>A Standard Webhooks secret: this prefix, then the base64 of 24 to 64 random bytes.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>The prefix and the base64 of 64 bytes.</summary>
    public const int MaxSecretLength = 6 + 88;

    /// <summary>How the console talks to an SMTP server; None only to one on loopback (a test server).</summary>
    public static IReadOnlyList<string> SmtpSecurities { get; } = ["StartTls", "SslOnConnect", "None"];

    public static IReadOnlyList<(string Field, string Problem)> Check(ChannelOptions channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var problems = new List<(string Field, string Problem)>();
        if (string.IsNullOrWhiteSpace(channel.Name))
        {
            problems.Add((nameof(ChannelOptions.Name), "A channel needs a name."));
        }
        else if (channel.Name.Length > MaxNameLength || channel.Name.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or ' ')))
        {
            problems.Add((nameof(ChannelOptions.Name), $"A channel's name is at most {MaxNameLength} letters, digits, spaces, '-', '_' or '.'."));
        }

        if (channel.Kind == ChannelKind.Email)
        {
            CheckSmtp(channel, problems);
            return problems;
        }

        if (channel.Url is { Length: > MaxUrlLength })
        {
            problems.Add((nameof(ChannelOptions.Url), $"A webhook's address is at most {MaxUrlLength:N0} characters."));
        }
        else if (!Uri.TryCreate(channel.Url, UriKind.Absolute, out var url) || !(url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && IsLoopback(url.Host))))
        {
            var what = channel.Kind switch
            {
                ChannelKind.Slack => "The Slack incoming webhook's address",
                ChannelKind.Teams => "The Teams workflow webhook's address",
                _ => "The webhook's address",
            };
            problems.Add((nameof(ChannelOptions.Url), $"{what} must be an https:// address (http only on loopback)."));
        }

        if (channel.Kind == ChannelKind.Webhook && SigningKeyOf(channel.Secret) is null)
        {
            problems.Add((nameof(ChannelOptions.Secret), $"The signing secret must be {SecretPrefix} followed by the base64 of 24 to 64 bytes."));
        }

        return problems;
    }

    /// <summary>The bytes of a Standard Webhooks secret, or null when it is not one.</summary>
    public static byte[]? SigningKeyOf(string? secret)
    {
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var bytes = new byte[64];
        return Convert.TryFromBase64String(secret[SecretPrefix.Length..], bytes, out var written) && written is >= 24 and <= 64 ? bytes[..written] : null;
    }

    /// <summary>The key console channels' secrets are encrypted under is 32 bytes of base64, or not set.</summary>
    public static bool IsSecretKey(string? key) => string.IsNullOrWhiteSpace(key) || ChannelSecrets.IsValidKey(key);

    /// <summary>Where a channel sends, without what makes it a credential: a webhook by its host, a mail server by host and port.</summary>
    public static string Destination(ChannelOptions channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.Kind == ChannelKind.Email
            ? $"smtp://{channel.SmtpHost}:{channel.SmtpPort}"
            : Uri.TryCreate(channel.Url, UriKind.Absolute, out var url) ? $"{url.Scheme}://{url.Authority}/…" : "(no address)";
    }

    public static bool IsLoopback(string? host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host?.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static void CheckSmtp(ChannelOptions channel, List<(string Field, string Problem)> problems)
    {
        if (channel.SmtpHost is { Length: > MaxAddressLength })
        {
            problems.Add((nameof(ChannelOptions.SmtpHost), $"The SMTP server's name is at most {MaxAddressLength} characters."));
        }
        else if (string.IsNullOrWhiteSpace(channel.SmtpHost) || Uri.CheckHostName(channel.SmtpHost) == UriHostNameType.Unknown)
        {
            problems.Add((nameof(ChannelOptions.SmtpHost), "The SMTP server needs a host name or IP address (no scheme, no port)."));
        }

        if (channel.SmtpPort is < 1 or > 65535)
        {
            problems.Add((nameof(ChannelOptions.SmtpPort), "The SMTP port is a number from 1 to 65535 (587 for STARTTLS, 465 for SSL on connect)."));
        }

        if (!SmtpSecurities.Contains(channel.SmtpSecurity, StringComparer.Ordinal))
        {
            problems.Add((nameof(ChannelOptions.SmtpSecurity), $"The SMTP security is one of {string.Join(", ", SmtpSecurities)}."));
        }
        else if (channel.SmtpSecurity == "None" && !IsLoopback(channel.SmtpHost))
        {
            problems.Add((nameof(ChannelOptions.SmtpSecurity), "SMTP security None is only allowed for a server on loopback; use StartTls or SslOnConnect."));
        }

        if (channel.From is { Length: > MaxAddressLength })
        {
            problems.Add((nameof(ChannelOptions.From), $"The sender's address is at most {MaxAddressLength} characters."));
        }
        else if (string.IsNullOrWhiteSpace(channel.From) || !System.Net.Mail.MailAddress.TryCreate(channel.From, out _))
        {
            problems.Add((nameof(ChannelOptions.From), "The sender needs an e-mail address (e.g. kmsconsole@example.com)."));
        }

        if (channel.SmtpUser is { Length: > MaxAddressLength })
        {
            problems.Add((nameof(ChannelOptions.SmtpUser), $"The SMTP user is at most {MaxAddressLength} characters."));
        }
    }
}
