using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>The circuit's message size limit is set for the console's largest field: a 4,000-character justification.</summary>
public sealed class CircuitLimitsTests
{
    [SkippableFact]
    public async Task A_4000_character_justification_of_three_byte_characters_keeps_the_circuit_and_reaches_the_run()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();
        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        await RotationScenarioTests.OpenKeyAsync(rita, "alias/FirstCMK");

        await rita.GetByRole(AriaRole.Button, new() { Name = "Request rotation" }).ClickAsync();
        await rita.GetByText("Enable automatic rotation", new() { Exact = true }).ClickAsync();
        // 4,000 euro signs are 12,000 bytes of UTF-8 in one change event, beyond what a 4 KB limit would take.
        var justification = new string('€', 3_999) + "!";
        await rita.GetByLabel("Justification").FillAsync(justification);
        await rita.GetByRole(AriaRole.Button, new() { Name = "Preview plan" }).ClickAsync();
        await Assertions.Expect(rita.GetByTestId("plan").Locator("li").First).ToBeVisibleAsync();
        await rita.GetByRole(AriaRole.Button, new() { Name = "Submit request" }).ClickAsync();
        await rita.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/runs/[0-9a-f-]{36}$"));

        await Assertions.Expect(rita.GetByText(justification)).ToBeVisibleAsync();
        Assert.DoesNotContain("exceeds the maximum message size", console.Output, StringComparison.OrdinalIgnoreCase);
    }
}
