using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// The workshop's IAM step in the browser. The console's local target acts as the workshop's instance role,
/// which may import material but not rotate, and the local endpoint enforces IAM on every KMS call. Rita's alias
/// swap is refused for kms:UpdateAlias; Adam requests the generated least-privilege policy; Alice approves it and
/// it is applied; Rita's same request then passes and the run completes.
/// </summary>
public sealed class PermissionGrantScenarioTests
{
    private const string WorkshopRole = "KMSWorkshop-InstanceInitRole";

    [SkippableFact]
    public async Task A_swap_refused_for_UpdateAlias_completes_after_an_approved_grant()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync(
            "--LocalKms:Iam:EnforceKmsPermissions=true",
            $"--Console:LocalTargetAccessKeyId={WorkshopRole}");
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        var oldKeyId = await RotationScenarioTests.OpenKeyAsync(rita, "alias/FirstCMK");
        await PreviewSwapAsync(rita);
        var denied = rita.GetByTestId("permission-row").Filter(new() { HasText = "kms:UpdateAlias" });
        await Assertions.Expect(denied.First).ToHaveAttributeAsync("data-decision", "ImplicitDeny");
        await Assertions.Expect(rita.GetByTestId("refusals")).ToContainTextAsync("kms:UpdateAlias");
        await Assertions.Expect(rita.GetByRole(AriaRole.Button, new() { Name = "Submit request" })).ToBeDisabledAsync();
        await rita.ScreenshotAsync("11-request-refused-missing-permission");

        var adam = await chromium.NewWindowAsync();
        await adam.SignInAsync(console, "adam");
        await RotationScenarioTests.OpenKeyAsync(adam, "alias/FirstCMK");
        await PreviewSwapAsync(adam);
        await adam.GetByTestId("grant-link").ClickAsync();
        await adam.WaitForInteractiveAsync();
        await adam.GetByTestId("grant-preview").ClickAsync();
        await Assertions.Expect(adam.GetByTestId("preview-role")).ToContainTextAsync(WorkshopRole, new() { Timeout = 30_000 });
        await Assertions.Expect(adam.GetByTestId("preview-document")).ToContainTextAsync("kms:UpdateAlias");
        await adam.GetByLabel("Justification").FillAsync("Workshop: let the instance role swap aliases");
        await adam.GetByTestId("grant-request").ClickAsync();
        await Assertions.Expect(adam.GetByTestId("grant-own")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await adam.ScreenshotAsync("12-grant-requested");

        var alice = await chromium.NewWindowAsync();
        await alice.SignInAsync(console, "alice");
        await alice.OpenFromMenuAsync("Permissions");
        await Assertions.Expect(alice.GetByTestId("pending-grant")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await alice.GetByTestId("grant-approve").ClickAsync();
        await Assertions.Expect(alice.GetByTestId("grant-row").First).ToHaveAttributeAsync("data-state", "Applied", new() { Timeout = 30_000 });
        await alice.ScreenshotAsync("13-grant-applied");

        await rita.GetByRole(AriaRole.Button, new() { Name = "Preview plan" }).ClickAsync();
        await Assertions.Expect(rita.GetByTestId("refusals")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Assertions.Expect(rita.GetByTestId("permission-row").Filter(new() { HasText = "kms:UpdateAlias" }).First)
            .ToHaveAttributeAsync("data-decision", "Allowed");
        await rita.GetByRole(AriaRole.Button, new() { Name = "Submit request" }).ClickAsync();
        await rita.WaitForURLAsync(url => url.Contains("/runs/", StringComparison.Ordinal), new() { Timeout = 30_000 });
        var runUrl = rita.Url;
        await rita.EvaluateAsync("() => window.kcNoReload = true");

        await RotationScenarioTests.ApproveAsAliceAsync(chromium, console, runUrl);
        await RotationScenarioTests.WaitForRunToSucceedLiveAsync(rita, "14-run-succeeded-after-grant");
        var newKeyId = await RotationScenarioTests.KeyBehindAliasAsync(rita, console, "alias/FirstCMK");
        Assert.NotEqual(oldKeyId, newKeyId);
    }

    /// <summary>From the key detail, previews an alias swap.</summary>
    private static async Task PreviewSwapAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Request rotation" }).ClickAsync();
        await page.GetByText("New key, alias swap", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Request rotation" })).ToBeVisibleAsync();
        await page.GetByLabel("Justification").FillAsync("Workshop: new key, alias swap");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview plan" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("permission-row").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
    }
}
