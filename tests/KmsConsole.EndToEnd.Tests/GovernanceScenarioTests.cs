using System.Text.RegularExpressions;
using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// Fleet governance through the browser: Adam proposes a KMS.4 policy, Alice approves it (Adam cannot approve his
/// own), the Compliance page finds alias/FirstCMK without automatic rotation, Rita opens a campaign from the policy's
/// card, Alice releases it (Rita cannot), Rita's campaign page follows it to the end without a reload, and the
/// Compliance page, left open by Audrey, turns compliant on its own once the runs refreshed the keys.
/// </summary>
public sealed class GovernanceScenarioTests
{
    private const float Timeout = 30_000;
    private const float CampaignTimeout = 120_000;
    private const string Policy = "KMS.4";

    [SkippableFact]
    public async Task A_KMS4_policy_is_proposed_approved_and_its_campaign_makes_the_workshop_keys_compliant()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var adam = await chromium.NewWindowAsync();
        await adam.SignInAsync(console, "adam");
        await adam.OpenFromMenuAsync("Policies");
        await adam.WaitForInteractiveAsync();
        await Field(adam, "policy-name").FillAsync(Policy);
        await Field(adam, "policy-days").FillAsync("365");
        await Field(adam, "scope-origins").FillAsync("AWS_KMS");
        await Field(adam, "policy-justification").FillAsync("Security Hub KMS.4: automatic rotation of customer managed keys");
        await adam.GetByTestId("propose-policy").ClickAsync();
        var proposed = adam.GetByTestId("policy-row");
        await Assertions.Expect(proposed).ToHaveAttributeAsync("data-state", "Proposed", new() { Timeout = Timeout });
        await Assertions.Expect(proposed).ToContainTextAsync("origin AWS_KMS");
        await adam.ScreenshotAsync("28-policy-proposed");

        // An Admin holds the approver role, so the button is there; the service refuses the proposer.
        await adam.GetByTestId("approve-policy").ClickAsync();
        await Assertions.Expect(adam.GetByTestId("policies-refusal")).ToContainTextAsync("someone else must approve", new() { Timeout = Timeout });
        await Assertions.Expect(proposed).ToHaveAttributeAsync("data-state", "Proposed");

        var alice = await chromium.NewWindowAsync();
        await alice.SignInAsync(console, "alice");
        await alice.OpenFromMenuAsync("Policies");
        await alice.WaitForInteractiveAsync();
        await alice.GetByLabel("Comment for an approval, reason for a rejection").FillAsync("KMS.4 as Security Hub checks it");
        await alice.GetByTestId("approve-policy").ClickAsync();
        await Assertions.Expect(alice.GetByTestId("policy-row")).ToHaveAttributeAsync("data-state", "Active", new() { Timeout = Timeout });
        await alice.ScreenshotAsync("29-policy-active");

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        await rita.OpenFromMenuAsync("Compliance");
        await rita.WaitForInteractiveAsync();
        var card = rita.GetByTestId("policy-card").Filter(new() { HasText = Policy });
        await Assertions.Expect(KeyRow(rita, "alias/FirstCMK").GetByTestId("row-status")).ToHaveTextAsync("Non-compliant", new() { Timeout = Timeout });
        await Assertions.Expect(KeyRow(rita, "alias/FirstCMK")).ToContainTextAsync("automatic rotation is off");
        await Assertions.Expect(card.GetByTestId("count-noncompliant")).Not.ToHaveTextAsync("0 non-compliant");
        await rita.ScreenshotAsync("30-compliance");

        var audrey = await chromium.NewWindowAsync();
        await audrey.SignInAsync(console, "audrey");
        await audrey.OpenFromMenuAsync("Compliance");
        await audrey.WaitForInteractiveAsync();
        await Assertions.Expect(KeyRow(audrey, "alias/FirstCMK").GetByTestId("row-status")).ToHaveTextAsync("Non-compliant", new() { Timeout = Timeout });
        await Assertions.Expect(audrey.GetByTestId("open-campaign")).ToHaveCountAsync(0);
        await MarkNoReloadAsync(audrey);

        const string justification = "KMS.4 finding: turn automatic rotation on, yearly";
        await Field(rita, "campaign-justification").FillAsync(justification);
        await card.GetByTestId("open-campaign").ClickAsync();
        await rita.WaitForURLAsync(new Regex("/campaigns/[0-9a-f-]{36}$"), new() { Timeout = Timeout });
        var campaign = rita.GetByTestId("campaign");
        await Assertions.Expect(campaign).ToHaveAttributeAsync("data-state", "AwaitingApproval", new() { Timeout = Timeout });
        await Assertions.Expect(campaign).ToContainTextAsync("Enable automatic rotation");
        await Assertions.Expect(campaign).ToContainTextAsync(justification);
        var firstCmk = rita.GetByTestId("campaign-key").Filter(new() { HasText = "alias/FirstCMK" });
        await Assertions.Expect(firstCmk).ToHaveAttributeAsync("data-state", "Waiting");
        await MarkNoReloadAsync(rita);

        await rita.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();
        await Assertions.Expect(rita.GetByTestId("campaign-refusal")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(campaign).ToHaveAttributeAsync("data-state", "AwaitingApproval");
        await rita.ScreenshotAsync("31-campaign-requester-refused");

        var campaignUrl = rita.Url;
        await alice.GotoAsync(campaignUrl);
        await alice.WaitForInteractiveAsync();
        await Assertions.Expect(alice.GetByTestId("campaign")).ToHaveAttributeAsync("data-state", "AwaitingApproval", new() { Timeout = Timeout });
        await alice.GetByLabel("Comment (a rejection needs one)").FillAsync("Plans read fine");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();
        await Assertions.Expect(alice.GetByTestId("campaign")).Not.ToHaveAttributeAsync("data-state", "AwaitingApproval", new() { Timeout = Timeout });

        await Assertions.Expect(campaign).ToHaveAttributeAsync("data-state", "Finished", new() { Timeout = CampaignTimeout });
        var keys = rita.GetByTestId("campaign-key");
        var count = await keys.CountAsync();
        Assert.True(count >= 1, "The campaign has no keys.");
        for (var i = 0; i < count; i++)
        {
            await Assertions.Expect(keys.Nth(i)).ToHaveAttributeAsync("data-state", "Succeeded");
        }

        await Assertions.Expect(rita.GetByTestId("campaign-progress")).ToContainTextAsync($"{count} done");
        await Assertions.Expect(rita.GetByTestId("campaign-progress")).ToContainTextAsync("0 failed");
        await ExpectNoReloadAsync(rita, "campaign");
        await rita.ScreenshotAsync("32-campaign-finished");

        // The runs' refresh of the keys they changed re-evaluates compliance; nobody presses Evaluate now.
        await Assertions.Expect(KeyRow(audrey, "alias/FirstCMK").GetByTestId("row-status")).ToHaveTextAsync("Compliant", new() { Timeout = Timeout });
        await Assertions.Expect(KeyRow(audrey, "alias/FirstCMK")).ToContainTextAsync("rotates every 365 days");
        await Assertions.Expect(audrey.GetByTestId("policy-card").Filter(new() { HasText = Policy }).GetByTestId("count-noncompliant"))
            .ToHaveTextAsync("0 non-compliant", new() { Timeout = Timeout });
        await ExpectNoReloadAsync(audrey, "compliance");
        await audrey.ScreenshotAsync("33-compliance-after-campaign");
    }

    /// <summary>The input a test id marks: the element itself or the one inside it.</summary>
    private static ILocator Field(IPage page, string testId) =>
        page.Locator($"input[data-testid='{testId}'], textarea[data-testid='{testId}'], [data-testid='{testId}'] input, [data-testid='{testId}'] textarea").First;

    private static ILocator KeyRow(IPage page, string alias) =>
        page.Locator("[data-testid='compliance-table'] tbody tr").Filter(new() { HasText = alias });

    // Marks this document: if the page reloaded, the mark would be gone.
    private static Task MarkNoReloadAsync(IPage page) => page.EvaluateAsync("() => window.kcNoReload = true");

    private static async Task ExpectNoReloadAsync(IPage page, string what) =>
        Assert.True(await page.EvaluateAsync<bool>("() => window.kcNoReload === true"), $"The {what} page reloaded instead of updating live.");
}
