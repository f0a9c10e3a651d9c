using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// A staged retirement as the approver sees it: Rita asks for a new key with the old one retired in stages, Alice
/// approves the run and the old key's fate (the hazard check on the page), the run page shows the disabled key being
/// watched, and Alice re-enables it in one click when a caller still needs it — the retirement stops before any deletion.
/// </summary>
public sealed class StagedRetirementScenarioTests
{
    private static readonly float Timeout = 60_000;

    [SkippableFact]
    public async Task The_approver_sees_the_hazards_and_the_watched_key_and_re_enables_it_in_one_click()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        await RotationScenarioTests.OpenKeyAsync(rita, "alias/FirstCMK");
        await RotationScenarioTests.RequestAsync(rita, "New key, alias swap", fill: async p =>
        {
            await p.GetByTestId("old-key-fate").ClickAsync();
            await p.GetByText("Retire it in stages: disable, watch, then schedule its deletion", new() { Exact = true }).ClickAsync();
        });
        var runUrl = rita.Url;

        await RotationScenarioTests.ApproveAsAliceAsync(chromium, console, runUrl);
        var alice = await chromium.NewWindowAsync();
        await alice.SignInAsync(console, "alice");
        await alice.GotoAsync(runUrl);
        await alice.WaitForInteractiveAsync();
        await Assertions.Expect(alice.GetByTestId("hazards")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await alice.ScreenshotAsync("11-fate-gate-hazards");
        await alice.GetByLabel("Comment").FillAsync("Retire it in stages");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Assertions.Expect(alice.GetByTestId("retirement")).ToContainTextAsync("The old key is disabled and watched.", new() { Timeout = Timeout });
        await Assertions.Expect(alice.GetByTestId("steps")).ToContainTextAsync("Watching the disabled key", new() { Timeout = Timeout });
        await alice.ScreenshotAsync("12-staged-retirement-watch");

        await alice.GetByLabel("Why the old key is needed again").FillAsync("The billing export still decrypts with it");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Re-enable the old key" }).ClickAsync();

        await Assertions.Expect(alice.GetByTestId("run-state")).ToHaveAttributeAsync("data-run-state", "Failed", new() { Timeout = Timeout });
        await Assertions.Expect(alice.GetByTestId("run-error")).ToContainTextAsync("it was enabled again during its watch", new() { Timeout = Timeout });
        await alice.ScreenshotAsync("13-staged-retirement-stopped");
    }
}
