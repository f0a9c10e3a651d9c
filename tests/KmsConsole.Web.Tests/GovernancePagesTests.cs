using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Web.Components.Compliance;
using KmsConsole.Web.Components.Pages;
using KmsConsole.Web.Components.Policies;

namespace KmsConsole.Web.Tests;

public sealed class GovernancePagesTests : PageTest
{
    [Fact]
    public async Task An_Admin_proposes_a_KMS4_policy_another_person_approves_it_and_the_Compliance_page_follows_the_workshop_key_to_compliant()
    {
        SignInAs("adam");
        var policies = Render<PoliciesPage>();
        policies.Field("policy-name").Change("KMS.4");
        policies.Field("scope-origins").Change("AWS_KMS");
        policies.Field("policy-justification").Change("Security Hub KMS.4");
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
    public async Task A_proposal_outside_the_rules_bounds_shows_every_problem_and_stores_nothing()
    {
        SignInAs("adam");
        var page = Render<PoliciesPage>();
        page.Field("policy-name").Change("Too fast");
        page.Field("policy-days").Change("30");
        page.ClickButton("Propose");

        page.WaitForAssertion(() =>
        {
            var refusal = page.Find("[data-testid='policies-refusal']").TextContent;
            Assert.Contains("between 90 and 2560 days", refusal);
            Assert.Contains("Give a justification", refusal);
        }, TimeSpan.FromSeconds(10));
        Assert.Empty(await World.Get<RotationPolicies>().ListAsync());
    }
}
