using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Web.Components.Campaigns;
using KmsConsole.Web.Components.Compliance;
using KmsConsole.Web.Components.Shared;

namespace KmsConsole.Web.Tests.Components.Campaigns;

/// <summary>
/// A campaign's decisions (approve or reject it, pass or stop the old keys' fate) and the Compliance page's campaign
/// request show each refusal next to the field it names, and a refused decision or request changes nothing.
/// </summary>
public sealed class CampaignDecisionFieldTests : PageTest
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);

    protected override bool RunOrchestrator => false;

    private static string FieldText<T>(IRenderedComponent<T> page, string testId) where T : Microsoft.AspNetCore.Components.IComponent =>
        page.Find($"[data-testid='{testId}']").Closest(".mud-input-control")!.TextContent;

    private Task<Campaign> RequestCampaignAsync(OldKeyFate fate = OldKeyFate.Keep) =>
        World.Get<Rotation.Governance.Campaigns>().RequestAsync(ActorOf("rita"), new CampaignRequest(ConsoleWorld.Target, ["alias/FirstCMK"],
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = fate }, "Replace the application key", 1));

    private IRenderedComponent<CampaignsPage> OpenAsAlice(Campaign campaign)
    {
        SignInAs("alice");
        var page = Render<CampaignsPage>(p => p.Add(x => x.Id, campaign.Id));
        page.WaitForAssertion(() => Assert.True(page.HasButton("Reject")), Answer);
        return page;
    }

    private async Task<CampaignState> StateAsync(Campaign campaign) => (await World.Get<Rotation.Governance.Campaigns>().GetAsync(campaign.Id))!.State;

    [Fact]
    public async Task A_rejection_without_a_reason_is_refused_at_the_comment_and_the_campaign_still_waits()
    {
        var campaign = await RequestCampaignAsync();
        var page = OpenAsAlice(campaign);

        page.ClickButton("Reject");

        page.WaitForAssertion(() => Assert.Contains("Give the reason for the rejection", FieldText(page, "campaign-comment"), StringComparison.Ordinal), Answer);
        Assert.Empty(page.FindAll("[data-testid='campaign-refusal']"));
        Assert.Equal(CampaignState.AwaitingApproval, await StateAsync(campaign));
        Assert.Contains($"/ {FreeText.MaxLength}", FieldText(page, "campaign-comment"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_comment_over_the_limit_is_refused_at_the_comment_and_nothing_is_approved()
    {
        var campaign = await RequestCampaignAsync();
        var page = OpenAsAlice(campaign);
        page.InputField("campaign-comment", new string('c', FreeText.MaxLength + 1));

        page.ClickButton("Approve");

        page.WaitForAssertion(() => Assert.Contains("At most 4,000 characters; this has 4,001.", FieldText(page, "campaign-comment"), StringComparison.Ordinal), Answer);
        Assert.Equal(CampaignState.AwaitingApproval, await StateAsync(campaign));
    }

    [Fact]
    public async Task Stopping_the_old_keys_fate_without_a_reason_is_refused_at_its_comment()
    {
        var campaign = await RequestCampaignAsync(OldKeyFate.Disable);
        var page = OpenAsAlice(campaign);
        page.WaitForAssertion(() => page.Find("[data-testid='fate-comment']"), Answer);

        page.ClickButton("Reject it");

        page.WaitForAssertion(() => Assert.Contains("Give the reason for the rejection", FieldText(page, "fate-comment"), StringComparison.Ordinal), Answer);
        Assert.Empty(page.FindAll("[data-testid='campaign-refusal']"));
        var stored = (await World.Get<Rotation.Governance.Campaigns>().GetAsync(campaign.Id))!;
        Assert.Equal(FateDecision.Waiting, stored.Fate!.Decision);
        Assert.Empty(stored.Fate.SignOffs);
    }

    [Fact]
    public async Task A_staged_retirement_shows_its_deletion_gate_apart_and_its_refusals_land_at_the_deletion_comment()
    {
        var campaign = await RequestCampaignAsync(OldKeyFate.StagedRetirement);
        var page = OpenAsAlice(campaign);
        page.WaitForAssertion(() => page.Find("[data-testid='deletion-comment']"), Answer);
        Assert.Contains("Approval of the old key's deletion, once for the campaign", page.Find("[data-testid='campaign-deletion']").TextContent, StringComparison.Ordinal);
        Assert.Contains("Approval of the old key's fate, once for the campaign: old key StagedRetirement", page.Find("[data-testid='campaign-fate']").TextContent,
            StringComparison.Ordinal);

        page.ClickMarked("reject-deletion");
        page.WaitForAssertion(() => Assert.Contains("Give the reason for the rejection", FieldText(page, "deletion-comment"), StringComparison.Ordinal), Answer);
        Assert.DoesNotContain("Give the reason", FieldText(page, "fate-comment"), StringComparison.Ordinal);

        page.InputField("deletion-comment", "watched and unused");
        page.ClickMarked("approve-deletion");
        page.WaitForAssertion(() => Assert.Contains("No key's watch is over yet", page.Find("[data-testid='campaign-refusal']").TextContent, StringComparison.Ordinal), Answer);
        var stored = (await World.Get<Rotation.Governance.Campaigns>().GetAsync(campaign.Id))!;
        Assert.Equal(FateDecision.Waiting, stored.Deletion!.Decision);
        Assert.Empty(stored.Deletion.SignOffs);
    }

    [Theory]
    [InlineData("campaign-concurrency", "0", null, "A campaign runs 1 to 50 keys at once; 0 was asked.")]
    [InlineData("campaign-concurrency", "51", null, "A campaign runs 1 to 50 keys at once; 51 was asked.")]
    [InlineData("campaign-justification", "5", FreeText.MaxLength + 1, "At most 4,000 characters; this has 4,001.")]
    public async Task A_campaign_from_a_policy_card_is_refused_at_the_field_at_fault_and_opens_nothing(string field, string concurrency, int? justificationLength, string problem)
    {
        var policies = World.Get<RotationPolicies>();
        var version = await policies.ProposeAsync(ActorOf("adam"), new PolicyProposal("KMS.4", new PolicyScope { Origins = ["AWS_KMS"] },
            new PolicyRule { Kind = PolicyRuleKind.AutomaticRotation, Days = 365, Remedy = WorkflowKind.EnableAutomaticRotation }, "Security Hub KMS.4"));
        await policies.ApproveAsync(ActorOf("alice"), version.Id, null);
        SignInAs("rita");
        var page = Render<CompliancePage>();
        page.WaitForAssertion(() => page.Find("[data-testid='campaign-concurrency']"), Answer);
        page.ChangeField("campaign-concurrency", concurrency);
        if (justificationLength is { } length)
        {
            page.InputField("campaign-justification", new string('j', length));
        }

        page.ClickButton("Open a campaign");

        page.WaitForAssertion(() => Assert.Contains(problem, FieldText(page, field), StringComparison.Ordinal), Answer);
        Assert.Empty(page.FindAll("[data-testid='compliance-refusal']"));
        Assert.Empty(await World.Get<Rotation.Governance.Campaigns>().ListAsync());
    }
}
