using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.Api.Tests;

/// <summary>The Notifications page in Chromium: a person turns an event off; an Admin sees the deliveries.</summary>
public sealed class NotificationsPageTests
{
    [SkippableFact]
    public async Task An_approver_who_turns_approval_mail_off_gets_none_and_an_admin_sees_the_delivery()
    {
        Chromium.SkipIfMissing();
        await using var smtp = SmtpReceiver.Start();
        await using var console = await ApiConsole.StartAsync(new Dictionary<string, string?>
        {
            ["Notifications:PollInterval"] = "00:00:00.100",
            ["Notifications:Channels:0:Name"] = "mail",
            ["Notifications:Channels:0:Kind"] = "Email",
            ["Notifications:Channels:0:SmtpHost"] = "127.0.0.1",
            ["Notifications:Channels:0:SmtpPort"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notifications:Channels:0:SmtpSecurity"] = "None",
            ["Notifications:Channels:0:From"] = "kmsconsole@example.test",
        });
        await using var chromium = await Chromium.StartAsync();
        var alice = await SignedInAsync(chromium, console, "alice");
        // Blazor takes over the link only once the circuit is up; a click before that does nothing.
        await alice.WaitForInteractiveAsync();
        await alice.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Notifications", Exact = true }).ClickAsync();
        await alice.WaitForURLAsync(url => url.EndsWith("/notifications", StringComparison.Ordinal));
        await alice.WaitForInteractiveAsync();
        await Assertions.Expect(alice.GetByText("alice@kmsconsole.local")).ToBeVisibleAsync();
        await alice.GetByLabel("A run waits for my approval").UncheckAsync();
        await Assertions.Expect(alice.GetByLabel("A run waits for my approval")).Not.ToBeCheckedAsync();

        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        await ApiConsole.RequestAliasSwapAsync(pipeline);
        var mail = await smtp.WaitForAsync(m => m.Subject?.Contains("Approval needed", StringComparison.Ordinal) == true);
        Assert.Equal(["adam@kmsconsole.local", "bob@kmsconsole.local"], mail.To.Mailboxes.Select(m => m.Address).Order());

        var adam = await SignedInAsync(chromium, console, "adam");
        await adam.GotoAsync(new Uri(console.Address, "notifications").ToString());
        await adam.WaitForInteractiveAsync();
        await Assertions.Expect(adam.Locator("[data-testid='deliveries']")).ToContainTextAsync("Delivered");
        await Assertions.Expect(adam.GetByRole(AriaRole.Button, new() { Name = "Send again: A run waits for my approval on mail" })).ToBeVisibleAsync();
        await adam.GetByRole(AriaRole.Button, new() { Name = "Send a test message on mail" }).ClickAsync();
        await Assertions.Expect(adam.Locator("[data-testid='channel-test-mail']")).ToContainTextAsync("Delivered: Sent to 1 recipient(s)");
        await smtp.WaitForAsync(m => m.Subject == "[KmsConsole] Test message: channel mail");
    }

    private static async Task<IPage> SignedInAsync(Chromium chromium, ApiConsole console, string user)
    {
        var page = await chromium.NewWindowAsync();
        await page.GotoAsync(new Uri(console.Address, "signin").ToString());
        await page.Locator($"[data-testid='signin-{user}']").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        return page;
    }
}
