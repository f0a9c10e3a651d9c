using KmsConsole.Testing;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// The workshop's three rotations done through the browser as people would: Rita requests, Alice
/// approves in her own browser, Rita's run page follows the run to the end without a reload, the
/// key detail shows the new state and Audrey finds every event in the audit trail.
/// </summary>
public sealed partial class RotationScenarioTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    [SkippableFact]
    public async Task Enable_automatic_rotation_on_FirstCMK()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        await Assertions.Expect(rita.GetByTestId("count-without-rotation")).ToBeVisibleAsync();
        await rita.ScreenshotAsync("02-dashboard");
        var keyId = await OpenKeyAsync(rita, "alias/FirstCMK", screenshot: "03-keys");
        await rita.ScreenshotAsync("04-key-detail-before");
        await RequestAsync(rita, "Enable automatic rotation", fill: async p =>
        {
            await p.GetByLabel("Rotation period (days)").FillAsync("180");
        });
        var runUrl = rita.Url;

        await ApproveAsAliceAsync(chromium, console, runUrl);
        await WaitForRunToSucceedLiveAsync(rita, "06-run-succeeded-enable-rotation");

        await rita.GotoAsync(new Uri(console.BaseAddress, $"keys/local/{keyId}").ToString());
        await Assertions.Expect(rita.GetByTestId("rotation-enabled")).ToContainTextAsync("On, every 180 days", new() { Timeout = 30_000 });
        await rita.ScreenshotAsync("07-key-detail-rotation-on");

        await rita.OpenFromMenuAsync("Runs");
        await Assertions.Expect(rita.GetByTestId("runs-table").GetByTestId("run-state")).ToHaveAttributeAsync("data-run-state", "Succeeded");
        await rita.ScreenshotAsync("06b-runs");

        await rita.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme" }).ClickAsync();
        await Assertions.Expect(rita.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" })).ToBeVisibleAsync();
        await rita.ScreenshotAsync("10-runs-dark-theme");

        await ExpectAuditAsync(chromium, console, "08-audit");
    }

    [SkippableFact]
    public async Task New_key_and_alias_swap_on_FirstCMK()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        var oldKeyId = await OpenKeyAsync(rita, "alias/FirstCMK");
        await RequestAsync(rita, "New key, alias swap", fill: _ => Task.CompletedTask);
        var runUrl = rita.Url;

        await ApproveAsAliceAsync(chromium, console, runUrl);
        await WaitForRunToSucceedLiveAsync(rita, "06-run-succeeded-alias-swap");

        var newKeyId = await KeyBehindAliasAsync(rita, console, "alias/FirstCMK");
        Assert.NotEqual(oldKeyId, newKeyId);
        await rita.GotoAsync(new Uri(console.BaseAddress, $"keys/local/{newKeyId}").ToString());
        await Assertions.Expect(rita.GetByTestId("aliases")).ToContainTextAsync("alias/FirstCMK", new() { Timeout = 30_000 });
        await rita.ScreenshotAsync("07-key-detail-new-key");

        await ExpectAuditAsync(chromium, console, "08-audit-alias-swap");
    }

    [SkippableFact]
    public async Task New_imported_key_and_alias_swap_on_ImportedCMK()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        var oldKeyId = await OpenKeyAsync(rita, "alias/ImportedCMK");
        await RequestAsync(rita, "New imported key, alias swap", fill: _ => Task.CompletedTask);
        var runUrl = rita.Url;

        await ApproveAsAliceAsync(chromium, console, runUrl);
        await WaitForRunToSucceedLiveAsync(rita, "06-run-succeeded-imported");

        var newKeyId = await KeyBehindAliasAsync(rita, console, "alias/ImportedCMK");
        Assert.NotEqual(oldKeyId, newKeyId);
        await rita.GotoAsync(new Uri(console.BaseAddress, $"keys/local/{newKeyId}").ToString());
        await Assertions.Expect(rita.GetByTestId("aliases")).ToContainTextAsync("alias/ImportedCMK", new() { Timeout = 30_000 });
        await Assertions.Expect(rita.GetByTestId("rotation-history")).ToContainTextAsync("IMPORTED", new() { IgnoreCase = true });
        await rita.ScreenshotAsync("07-key-detail-imported");

        await ExpectAuditAsync(chromium, console, "08-audit-imported");
    }

    [SkippableFact]
    public async Task Rita_cannot_approve_her_own_run()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        await OpenKeyAsync(rita, "alias/FirstCMK");
        await RequestAsync(rita, "Enable automatic rotation", fill: _ => Task.CompletedTask);

        await Assertions.Expect(rita.GetByTestId("gate-explanation")).ToContainTextAsync("another approver must decide");
        await Assertions.Expect(rita.GetByRole(AriaRole.Button, new() { Name = "Approve" })).ToHaveCountAsync(0);
        await rita.ScreenshotAsync("09-self-approval-not-offered");

        await rita.GotoAsync(new Uri(console.BaseAddress, "approvals").ToString());
        await Assertions.Expect(rita.GetByText(new Regex("roles do not allow"))).ToBeVisibleAsync();
    }

    /// <summary>From the key list, opens the key behind an alias; returns its key id.</summary>
    internal static async Task<string> OpenKeyAsync(IPage page, string alias, string? screenshot = null)
    {
        await page.OpenFromMenuAsync("Keys");
        var row = page.Locator("[data-testid='keys-table'] tbody tr").Filter(new() { HasText = alias });
        await Assertions.Expect(row).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        if (screenshot is not null)
        {
            await page.ScreenshotAsync(screenshot);
        }

        var link = row.GetByTestId("key-link");
        var keyId = (await link.InnerTextAsync()).Trim();
        await link.ClickAsync();
        await Assertions.Expect(page.GetByTestId("aliases")).ToContainTextAsync(alias, new() { Timeout = 30_000 });
        return keyId;
    }

    /// <summary>Requests a workflow from the key detail: parameters, justification, the plan, submit.</summary>
    internal static async Task RequestAsync(IPage page, string workflow, Func<IPage, Task> fill)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Request rotation" }).ClickAsync();
        await page.GetByText(workflow, new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Request rotation" })).ToBeVisibleAsync();

        await fill(page);
        await page.GetByLabel("Justification").FillAsync($"Workshop: {workflow}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview plan" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("plan").Locator("li").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.ScreenshotAsync($"05-request-{Slug(workflow)}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Submit request" }).ClickAsync();
        await page.WaitForURLAsync(RunUrl(), new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("run-state")).ToHaveAttributeAsync("data-run-state", "AwaitingApproval");

        // Marks this document: if the page reloaded, the mark would be gone.
        await page.EvaluateAsync("() => window.kcNoReload = true");
    }

    internal static async Task ApproveAsAliceAsync(Chromium chromium, ConsoleProcess console, string runUrl)
    {
        var alice = await chromium.NewWindowAsync();
        await alice.SignInAsync(console, "alice");
        await alice.OpenFromMenuAsync("Approvals");
        var waiting = alice.GetByTestId("run-row");
        await Assertions.Expect(waiting).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await alice.ScreenshotAsync("05-approvals");
        await waiting.GetByRole(AriaRole.Link).ClickAsync();
        await alice.WaitForURLAsync(runUrl);

        await alice.GetByLabel("Comment").FillAsync("Looks right");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(alice.GetByTestId("action-message")).ToContainTextAsync("Approved.");
    }

    internal static async Task WaitForRunToSucceedLiveAsync(IPage page, string screenshot)
    {
        await Assertions.Expect(page.GetByTestId("run-state")).ToHaveAttributeAsync("data-run-state", "Succeeded",
            new() { Timeout = (float)RunTimeout.TotalMilliseconds });
        Assert.True(await page.EvaluateAsync<bool>("() => window.kcNoReload === true"), "The run page reloaded instead of updating live.");
        await Assertions.Expect(page.GetByTestId("aws-request-id").First).ToBeVisibleAsync();
        await page.ScreenshotAsync(screenshot);
    }

    internal static async Task<string> KeyBehindAliasAsync(IPage page, ConsoleProcess console, string alias)
    {
        await page.GotoAsync(new Uri(console.BaseAddress, "keys").ToString());
        await page.WaitForInteractiveAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh inventory" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("sync-progress")).ToContainTextAsync("Inventory refreshed.", new() { Timeout = 60_000 });
        var row = page.Locator("[data-testid='keys-table'] tbody tr").Filter(new() { HasText = alias });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        return (await row.GetByTestId("key-link").InnerTextAsync()).Trim();
    }

    private static async Task ExpectAuditAsync(Chromium chromium, ConsoleProcess console, string screenshot)
    {
        var audrey = await chromium.NewWindowAsync();
        await audrey.SignInAsync(console, "audrey");
        await audrey.OpenFromMenuAsync("Audit");
        await Assertions.Expect(audrey.GetByTestId("chain-verification")).ToContainTextAsync("The audit chain is intact", new() { Timeout = 30_000 });
        var table = audrey.GetByTestId("audit-table");
        await Assertions.Expect(table).ToContainTextAsync("rita");
        await Assertions.Expect(table).ToContainTextAsync("alice");
        await audrey.ScreenshotAsync(screenshot);
    }

    private static Regex RunUrl() => RunUrlPattern();

    [GeneratedRegex("/runs/[0-9a-f-]{36}$")]
    private static partial Regex RunUrlPattern();

    private static string Slug(string text) => Regex.Replace(text.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
}
