using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Web.Components.Keys;

namespace KmsConsole.Web.Tests.Components.Campaigns;

/// <summary>A campaign opened from keys selected on the Keys page, over the real services.</summary>
public sealed class CampaignFromKeysTests : PageTest
{
    protected override bool RunOrchestrator => false;

    private static void Select(IRenderedComponent<KeyList> page, string alias) =>
        page.InvokeAsync(() => page.FindAll("tbody tr").Single(r => r.TextContent.Contains(alias)).QuerySelector("input[type=checkbox]")!.Change(true))
            .GetAwaiter().GetResult();

    private static void ChooseWorkflow(IRenderedComponent<KeyList> page, WorkflowKind workflow) =>
        page.InvokeAsync(() =>
        {
            var radio = page.Find($"[data-testid='campaign-workflow-{workflow}']");
            (radio is IHtmlInputElement ? radio : radio.QuerySelector("input")!).Click();
        }).GetAwaiter().GetResult();

    private static string FieldText(IRenderedComponent<KeyList> page, string testId) =>
        page.Find($"[data-testid='{testId}']").Closest(".mud-input-control")!.TextContent;

    [Fact]
    public async Task A_requester_selects_keys_on_the_Keys_page_and_opens_one_campaign_over_them_with_the_workflows_parameters()
    {
        SignInAs("rita");
        var page = Render<KeyList>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid='key-selection']"));

        Select(page, "alias/FirstCMK");
        Select(page, "alias/ImportedCMK");
        page.WaitForAssertion(() => Assert.Equal("2 keys selected", page.Find("[data-testid='selected-count']").TextContent.Trim()));
        page.ClickButton("Open a campaign");
        ChooseWorkflow(page, WorkflowKind.EnableAutomaticRotation);
        page.WaitForAssertion(() => page.Field("campaign-rotation-period"));
        page.InputField("campaign-rotation-period", "180");
        page.InputField("campaign-justification", "KMS.4 for the workshop keys");
        page.ClickButton("Request the campaign");

        page.WaitForAssertion(() => Assert.Contains("/campaigns/", CurrentUri), TimeSpan.FromSeconds(20));
        var campaign = (await World.Get<Rotation.Governance.Campaigns>().GetAsync(Guid.Parse(CurrentUri[(CurrentUri.LastIndexOf('/') + 1)..])))!;
        Assert.Equal((WorkflowKind.EnableAutomaticRotation, 180, CampaignState.AwaitingApproval, "rita", 5),
            (campaign.Workflow, campaign.Parameters.RotationPeriodInDays, campaign.State, campaign.RequestedBy, campaign.Concurrency));
        Assert.Equal("KMS.4 for the workshop keys", campaign.Justification);
        // The imported key does not fit automatic rotation: the frozen plan says so and skips it.
        Assert.Equal([("alias/FirstCMK", CampaignKeyState.Waiting), ("alias/ImportedCMK", CampaignKeyState.Skipped)],
            campaign.Keys.OrderBy(k => k.Alias).Select(k => (k.Alias, k.State)));
        Assert.StartsWith("Skipped:", campaign.Keys.Single(k => k.Alias == "alias/ImportedCMK").Plan);
    }

    [Fact]
    public async Task A_campaign_from_the_Keys_page_without_a_justification_shows_the_problem_and_requests_nothing()
    {
        SignInAs("rita");
        var page = Render<KeyList>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));
        Select(page, "alias/FirstCMK");
        page.WaitForAssertion(() => Assert.Equal("1 key selected", page.Find("[data-testid='selected-count']").TextContent.Trim()));
        page.ClickButton("Open a campaign");
        page.ClickButton("Request the campaign");

        page.WaitForAssertion(() =>
        {
            Assert.Contains("Choose a workflow.", page.Markup);
            Assert.Contains("A justification is required", FieldText(page, "campaign-justification"));
        });
        Assert.Contains("/ 4000", FieldText(page, "campaign-justification"));
        ChooseWorkflow(page, WorkflowKind.EnableAutomaticRotation);
        page.InputField("campaign-justification", "yearly");
        page.InputField("campaign-concurrency", "0");
        page.ClickButton("Request the campaign");
        page.WaitForAssertion(() => Assert.Contains("Between 1 and 50 keys at a time.", FieldText(page, "campaign-concurrency")));
        Assert.Empty(await World.Get<Rotation.Governance.Campaigns>().ListAsync());
        Assert.DoesNotContain("/campaigns/", CurrentUri);

        page.ClickButton("Clear selection");
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid='key-selection']")));
    }

    [Fact]
    public void A_viewer_sees_the_selection_but_is_not_offered_a_campaign()
    {
        SignInAs("audrey");
        var page = Render<KeyList>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='key-link']").Count), TimeSpan.FromSeconds(10));
        Select(page, "alias/FirstCMK");
        page.WaitForAssertion(() => Assert.Equal("1 key selected", page.Find("[data-testid='selected-count']").TextContent.Trim()));
        Assert.False(page.HasButton("Open a campaign"));
    }
}
