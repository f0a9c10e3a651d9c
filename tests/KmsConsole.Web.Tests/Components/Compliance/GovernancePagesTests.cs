using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Web.Components.Campaigns;
using KmsConsole.Web.Components.Compliance;
using KmsConsole.Web.Components.Pages;
using KmsConsole.Web.Components.Policies;

namespace KmsConsole.Web.Tests.Components.Compliance;

public sealed class GovernancePagesTests : PageTest
{
    [Fact]
    public async Task An_Admin_proposes_a_KMS4_policy_another_person_approves_it_and_the_Compliance_page_follows_the_workshop_key_to_compliant()
    {
        SignInAs("adam");
        var policies = Render<PoliciesPage>();
        policies.ChangeField("policy-name", "KMS.4");
        policies.ChangeField("scope-origins", "AWS_KMS");
        policies.InputField("policy-justification", "Security Hub KMS.4");
        policies.ClickButton("Propose");
        policies.WaitForAssertion(() => Assert.Equal("Proposed", policies.Find("[data-testid='policy-row']").GetAttribute("data-state")), TimeSpan.FromSeconds(10));
        Assert.Contains("origin AWS_KMS", policies.Find("[data-testid='policy-row']").TextContent);
        // The proposer is offered Approve (an Admin holds the approver role) but the service refuses them.
        policies.ClickButton("Approve");
        policies.WaitForAssertion(() => Assert.Contains("someone else must approve", policies.Find("[data-testid='policies-refusal']").TextContent));
        policies.Dispose();

        SignInAs("alice");
        var approving = Render<PoliciesPage>();
        approving.WaitForAssertion(() => Assert.True(approving.HasButton("Approve")), TimeSpan.FromSeconds(10));
        approving.ClickButton("Approve");
        approving.WaitForAssertion(() => Assert.Equal("Active", approving.Find("[data-testid='policy-row']").GetAttribute("data-state")), TimeSpan.FromSeconds(10));

        SignInAs("rita");
        var compliance = Render<CompliancePage>();
        compliance.WaitForAssertion(() =>
        {
            var row = compliance.FindAll("[data-testid='compliance-table'] tbody tr").Single(r => r.TextContent.Contains("alias/FirstCMK"));
            Assert.Contains("Non-compliant", row.TextContent);
            Assert.Contains("automatic rotation is off", row.TextContent);
            Assert.Contains("due today", row.TextContent);
        }, TimeSpan.FromSeconds(10));
        Assert.Contains("compliance/report.csv", compliance.Find("[data-testid='export-csv']").GetAttribute("href"));

        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK", new RotationParameters { RotationPeriodInDays = 365 });
        await World.Get<RotationRequests>().ApproveAsync(ActorOf("alice"), run.Id, "fine");

        // The orchestrator runs it; the run's refresh of the key re-evaluates compliance and the page follows live.
        compliance.WaitForAssertion(() =>
        {
            var row = compliance.FindAll("[data-testid='compliance-table'] tbody tr").Single(r => r.TextContent.Contains("alias/FirstCMK"));
            Assert.Contains("Compliant", row.TextContent);
            Assert.Contains("rotates every 365 days", row.TextContent);
        }, TimeSpan.FromSeconds(30));
        var dashboard = Render<Dashboard>();
        dashboard.WaitForAssertion(() => Assert.Contains("KMS.4: 100% compliant", dashboard.Find("[data-testid='compliance-summary']").TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_requester_opens_a_campaign_from_the_Compliance_page_an_approver_releases_it_and_its_page_follows_it_to_the_end()
    {
        var policies = World.Get<RotationPolicies>();
        var version = await policies.ProposeAsync(ActorOf("adam"), new PolicyProposal("KMS.4", new PolicyScope { Origins = ["AWS_KMS"] },
            new PolicyRule { Kind = PolicyRuleKind.AutomaticRotation, Days = 365, Remedy = WorkflowKind.EnableAutomaticRotation }, "Security Hub KMS.4"));
        await policies.ApproveAsync(ActorOf("alice"), version.Id, null);
        SignInAs("rita");
        var compliance = Render<CompliancePage>();
        compliance.WaitForAssertion(() => Assert.Contains("1 non-compliant", compliance.Find("[data-testid='count-noncompliant']").TextContent), TimeSpan.FromSeconds(10));

        compliance.ClickButton("Open a campaign");

        compliance.WaitForAssertion(() => Assert.Contains("/campaigns/", CurrentUri), TimeSpan.FromSeconds(10));
        var campaignId = Guid.Parse(CurrentUri[(CurrentUri.LastIndexOf('/') + 1)..]);
        SignInAs("alice");
        var page = Render<CampaignsPage>(p => p.Add(x => x.Id, campaignId));
        page.WaitForAssertion(() => Assert.Equal("AwaitingApproval", page.Find("[data-testid='campaign']").GetAttribute("data-state")), TimeSpan.FromSeconds(10));
        var key = Assert.Single(page.FindAll("[data-testid='campaign-key']"));
        Assert.Contains("alias/FirstCMK", key.TextContent);
        Assert.Contains("Approval → Enable automatic rotation", key.TextContent);

        page.ClickButton("Approve");

        // The campaign driver starts the key's run, the orchestrator runs it; the page follows both live.
        page.WaitForAssertion(() => Assert.Equal("Finished", page.Find("[data-testid='campaign']").GetAttribute("data-state")), TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", page.Find("[data-testid='campaign-key']").GetAttribute("data-state"));
        compliance.WaitForAssertion(() => Assert.Contains("0 non-compliant", compliance.Find("[data-testid='count-noncompliant']").TextContent), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_proposal_outside_the_rules_bounds_shows_every_problem_at_its_field_and_stores_nothing()
    {
        SignInAs("adam");
        var page = Render<PoliciesPage>();
        page.ChangeField("policy-name", "Too fast");
        page.ChangeField("policy-days", "30");
        page.ClickButton("Propose");

        page.WaitForAssertion(() =>
        {
            Assert.Contains("between 90 and 2560 days", page.Find("[data-testid='policy-days']").Closest(".mud-input-control")!.TextContent);
            Assert.Contains("Give a justification", page.Find("[data-testid='policy-justification']").Closest(".mud-input-control")!.TextContent);
        }, TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid='policies-refusal']"));
        Assert.Empty(await World.Get<RotationPolicies>().ListAsync());
    }
}
