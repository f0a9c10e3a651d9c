using KmsConsole.Rotation.Notifications;
using KmsConsole.Web.Notifications;

namespace KmsConsole.Web.Tests.Notifications;

/// <summary>The notification settings are checked at start by the same rules as a channel made in the console.</summary>
public sealed class NotificationSettingsTests
{
    [Fact]
    public void Every_problem_of_the_channels_and_the_secret_key_is_reported_naming_the_setting()
    {
        var problems = NotificationHosting.Check(new NotificationOptions
        {
            SecretKey = "too-short",
            Channels =
            [
                new ChannelOptions { Name = "hooks", Kind = ChannelKind.Webhook, Url = "https://hooks.example.test/", Secret = "not-whsec" },
                new ChannelOptions { Name = "mail", Kind = ChannelKind.Email, SmtpHost = "smtp.example.test", SmtpSecurity = "None", From = "k@example.test" },
                new ChannelOptions { Name = "teams", Kind = ChannelKind.Teams, Url = "http://teams.example.test/hook" },
            ],
        });

        Assert.Collection(problems,
            p => Assert.StartsWith("Notifications:Channels:0:Secret: The signing secret must be whsec_", p, StringComparison.Ordinal),
            p => Assert.StartsWith("Notifications:Channels:1:SmtpSecurity: SMTP security None is only allowed for a server on loopback", p, StringComparison.Ordinal),
            p => Assert.StartsWith("Notifications:Channels:2:Url: The Teams workflow webhook's address must be an https:// address", p, StringComparison.Ordinal),
            p => Assert.StartsWith("Notifications:SecretKey must be 32 random bytes in base64", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Settings_as_the_readme_shows_them_pass()
    {
        Assert.Empty(NotificationHosting.Check(new NotificationOptions
        {
            SecretKey = Convert.ToBase64String(new byte[32]),
            Channels = [new ChannelOptions { Name = "hooks", Kind = ChannelKind.Webhook, Url = "https://hooks.example.test/", Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }],
        }));
    }
}
