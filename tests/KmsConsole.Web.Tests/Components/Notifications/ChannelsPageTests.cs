using System.Net;
using System.Net.Sockets;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Notifications;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Web.Components.Notifications;
using KmsConsole.Web.Notifications;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Tests.Components.Notifications;

/// <summary>The Admin's channels page over the real <see cref="ConsoleChannels"/> and the real sender of a test message.</summary>
public sealed class ChannelsPageTests : PageTest
{
    private const string WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    protected override bool RunOrchestrator => false;

    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["Notifications:SecretKey"] = "q83vEjRWq4XTZCGh7z8lXzNB0N0Nd6uP3hWpqCUSZ9o=",
        ["Notifications:ConsoleUrl"] = "https://kms.example.test",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Services.AddSingleton(_ => World.Get<ConsoleChannels>());
        Services.AddSingleton(_ => World.Get<NotificationChannelDirectory>());
        Services.AddSingleton(_ => World.Get<ConsoleUsers>());
        Services.AddSingleton(_ => World.Get<IOptions<NotificationOptions>>());
        Services.AddHttpClient();
        Services.AddSingleton<IServer, NotListening>();
        Services.AddSingleton<ConsoleLinks>();
        Services.AddSingleton<NotificationChannelResolver>();
        Services.AddSingleton<ChannelTests>();
    }

    private IRenderedComponent<ChannelsPage> Open(string user = "adam")
    {
        SignInAs(user);
        var page = Render<ChannelsPage>();
        page.WaitForAssertion(() => page.Find(user == "adam" ? "[data-testid='channel-form']" : "[data-testid='channels-admin-only']"), TimeSpan.FromSeconds(10));
        return page;
    }

    private static string FieldText(IRenderedComponent<ChannelsPage> page, string testId) =>
        page.Find($"[data-testid='{testId}']").Closest(".mud-input-control")!.TextContent;

    private static Task ChooseKindAsync(IRenderedComponent<ChannelsPage> page, string label) =>
        page.InvokeAsync(() => page.FindAll(".mud-radio").Single(r => r.TextContent.Trim() == label).QuerySelector("input")!.Click());

    private async Task<IReadOnlyList<AuditEvent>> AuditOfAsync(string channel)
    {
        await using var db = await World.Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();
        return await db.AuditEvents.AsNoTracking().Where(e => e.Subject == $"notification-channel/{channel}").OrderBy(e => e.Sequence).ToListAsync();
    }

    [Fact]
    public async Task An_admin_makes_a_webhook_channel_and_the_list_shows_its_host_never_its_secret_or_path()
    {
        var page = Open();
        page.InputField("channel-name", "release hooks");
        page.InputField("channel-url", "https://hooks.example.test/kms/secret-path");
        page.InputField("channel-secret", WebhookSecret);

        page.ClickButton("Make channel");

        page.WaitForAssertion(() => Assert.Contains("Channel 'release hooks' made", page.Find("[data-testid='channel-saved']").TextContent, StringComparison.Ordinal));
        var row = page.Find("[data-testid='channel-release hooks']");
        Assert.Contains("https://hooks.example.test/…", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("Enabled", row.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-path", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("MfKQ9r8GKYqr", page.Markup, StringComparison.Ordinal);
        Assert.Equal("adam", Assert.Single(await AuditOfAsync("release hooks")).Actor);

        // Changing it shows no secret back: the fields stay empty and keep what is stored.
        page.ClickButton("Change");
        page.WaitForAssertion(() => Assert.Equal("", page.Field("channel-secret").GetAttribute("value") ?? ""));
        Assert.Contains("Empty keeps the stored address (https://hooks.example.test/…)", FieldText(page, "channel-url"), StringComparison.Ordinal);
        page.ClickButton("Save changes");
        page.WaitForAssertion(() => Assert.Contains("saved", page.Find("[data-testid='channel-saved']").TextContent, StringComparison.Ordinal));
        Assert.Equal(WebhookSecret, (await World.Get<NotificationChannelDirectory>().FindAsync("release hooks"))!.Secret);
    }

    [Fact]
    public async Task Each_problem_is_shown_next_to_its_field_and_nothing_is_made()
    {
        var page = Open();
        await ChooseKindAsync(page, "E-mail (SMTP)");
        page.WaitForAssertion(() => page.Field("channel-smtp-host"));
        page.InputField("channel-smtp-host", "smtp.example.test");
        page.InputField("channel-from", "not an address");
        await page.InvokeAsync(() => page.FindAll(".mud-radio").Single(r => r.TextContent.Trim() == "None").QuerySelector("input")!.Click());

        page.ClickButton("Make channel");

        page.WaitForAssertion(() => Assert.Contains("A channel needs a name.", FieldText(page, "channel-name"), StringComparison.Ordinal));
        Assert.Contains("The sender needs an e-mail address", FieldText(page, "channel-from"), StringComparison.Ordinal);
        Assert.Contains("only allowed for a server on loopback", page.Find("[data-testid='channel-smtp-security-error']").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid='channel-refusal']"));
        Assert.Empty(page.FindAll("[data-testid='channel-saved']"));
        Assert.DoesNotContain(await World.Get<ConsoleChannels>().ListAsync(ActorOf("adam")), c => !c.FromConfiguration);

        // A Slack address must be https.
        await ChooseKindAsync(page, "Slack");
        page.WaitForAssertion(() => page.Field("channel-url"));
        page.InputField("channel-name", "ops");
        page.InputField("channel-url", "http://hooks.slack.example/services/T/B/X");
        page.ClickButton("Make channel");
        page.WaitForAssertion(() => Assert.Contains("must be an https:// address", FieldText(page, "channel-url"), StringComparison.Ordinal));

        // An address longer than the bound, and a webhook secret that is not one, each at its own field.
        await ChooseKindAsync(page, "Standard Webhooks");
        page.WaitForAssertion(() => page.Field("channel-secret"));
        page.InputField("channel-url", "https://hooks.example.test/" + new string('p', ChannelRules.MaxUrlLength));
        page.InputField("channel-secret", "not-a-secret");
        page.ClickButton("Make channel");
        page.WaitForAssertion(() => Assert.Contains($"at most {ChannelRules.MaxUrlLength:N0} characters", FieldText(page, "channel-url"), StringComparison.Ordinal));
        Assert.Contains("The signing secret must be whsec_", FieldText(page, "channel-secret"), StringComparison.Ordinal);
        Assert.DoesNotContain(await World.Get<ConsoleChannels>().ListAsync(ActorOf("adam")), c => !c.FromConfiguration);
    }

    [Fact]
    public async Task A_test_message_goes_through_the_real_sender_and_its_answer_is_shown_and_audited()
    {
        var port = ClosedPort();
        await World.Get<ConsoleChannels>().CreateAsync(ActorOf("adam"),
            new ChannelDraft { Name = "hooks", Kind = ChannelKind.Webhook, Url = $"http://127.0.0.1:{port}/hooks", Secret = WebhookSecret });
        var page = Open();

        await page.InvokeAsync(() => page.Find("button[aria-label='Send a test message on hooks']").Click());

        page.WaitForAssertion(() => Assert.Contains("Not delivered: Could not reach the receiver", page.Find("[data-testid='channel-test-hooks']").TextContent,
            StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        var tested = (await AuditOfAsync("hooks")).Last();
        Assert.Equal("notification.channel-tested", tested.Action);
        Assert.Contains("not delivered", tested.Details, StringComparison.Ordinal);
        Assert.DoesNotContain("/hooks", tested.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_disables_then_deletes_a_channel_after_confirming()
    {
        await World.Get<ConsoleChannels>().CreateAsync(ActorOf("adam"),
            new ChannelDraft { Name = "ops", Kind = ChannelKind.Teams, Url = "https://example.webhook.office.test/workflows/abc" });
        var page = Open();

        page.ClickButton("Disable");
        page.WaitForAssertion(() => Assert.Contains("Disabled", page.Find("[data-testid='channel-ops']").TextContent, StringComparison.Ordinal));
        page.ClickButton("Delete");
        page.WaitForAssertion(() => page.Button("Confirm delete"));
        page.ClickButton("Confirm delete");

        page.WaitForAssertion(() => page.Find("[data-testid='no-channels']"));
        Assert.Equal(["notification.channel-created", "notification.channel-disabled", "notification.channel-deleted"], (await AuditOfAsync("ops")).Select(e => e.Action));
    }

    [Fact]
    public async Task Someone_not_an_admin_sees_no_channel_and_the_service_refuses_them()
    {
        await World.Get<ConsoleChannels>().CreateAsync(ActorOf("adam"),
            new ChannelDraft { Name = "ops", Kind = ChannelKind.Slack, Url = "https://hooks.slack.example/services/T/B/X" });

        var page = Open("alice");

        Assert.Empty(page.FindAll("[data-testid='channel-list']"));
        Assert.Empty(page.FindAll("[data-testid='channel-form']"));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => World.Get<ConsoleChannels>().ListAsync(ActorOf("alice")));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The console's server as <see cref="ConsoleLinks"/> needs it; with Notifications:ConsoleUrl set it asks it nothing.</summary>
    private sealed class NotListening : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
