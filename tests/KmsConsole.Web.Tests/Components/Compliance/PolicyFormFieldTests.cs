using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Web.Components.Policies;
using KmsConsole.Web.Components.Shared;
using MudBlazor;

namespace KmsConsole.Web.Tests.Components.Compliance;

/// <summary>
/// The Policies page's forms (propose a policy, decide a version, request and decide an exemption) show each refusal next
/// to the field it names, and a refused form changes nothing.
/// </summary>
public sealed class PolicyFormFieldTests : PageTest
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);

    protected override bool RunOrchestrator => false;

    private IRenderedComponent<PoliciesPage> OpenAs(string user)
    {
        SignInAs(user);
        var page = Render<PoliciesPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("button")), Answer);
        return page;
    }

    private static string FieldText(IRenderedComponent<PoliciesPage> page, string testId) =>
        page.Find($"[data-testid='{testId}']").Closest(".mud-input-control")!.TextContent;

    private static void AssertAtField(IRenderedComponent<PoliciesPage> page, string testId, string problem) =>
        page.WaitForAssertion(() => Assert.Contains(problem, FieldText(page, testId), StringComparison.Ordinal), Answer);

    private async Task<RotationPolicy> ActiveKms4Async()
    {
        var policies = World.Get<RotationPolicies>();
        var version = await policies.ProposeAsync(ActorOf("adam"), new PolicyProposal("KMS.4", new PolicyScope { Origins = ["AWS_KMS"] },
            new PolicyRule { Kind = PolicyRuleKind.AutomaticRotation, Days = 365, Remedy = WorkflowKind.EnableAutomaticRotation }, "Security Hub KMS.4"));
        await policies.ApproveAsync(ActorOf("alice"), version.Id, null);
        return (await policies.ActiveAsync()).Single();
    }

    [Fact]
    public async Task An_empty_proposal_is_refused_at_its_name_and_justification_and_stores_nothing()
    {
        var page = OpenAs("adam");

        page.ClickButton("Propose");

        AssertAtField(page, "policy-name", "Give the policy a name of 1 to 100 characters.");
        AssertAtField(page, "policy-justification", "Give a justification");
        Assert.Empty(page.FindAll("[data-testid='policies-refusal']"));
        Assert.Empty(await World.Get<RotationPolicies>().ListAsync());
        Assert.Contains($"/ {FreeText.MaxLength}", FieldText(page, "policy-justification"), StringComparison.Ordinal);
        Assert.Contains($"/ {PolicyProposal.MaxNameLength}", FieldText(page, "policy-name"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rule_days_out_of_range_and_a_remedy_period_longer_than_them_are_refused_at_their_fields()
    {
        var page = OpenAs("adam");
        page.ChangeField("policy-name", "Too fast");
        page.InputField("policy-justification", "Security Hub KMS.4");
        page.ChangeField("policy-days", "30");

        page.ClickButton("Propose");

        AssertAtField(page, "policy-days", "between 90 and 2560 days");
        AssertAtField(page, "policy-period", "must be at most the policy's 30 days");
        Assert.DoesNotContain("Give a justification", page.Markup, StringComparison.Ordinal);
        Assert.Empty(await World.Get<RotationPolicies>().ListAsync());
    }

    [Theory]
    [InlineData("scope-origins", "NOPE", "'NOPE' is not a key origin KMS knows")]
    [InlineData("scope-keyspecs", "RSA_9", "'RSA_9' is not a key spec KMS knows")]
    [InlineData("scope-targets", "mars", "No KMS target named 'mars' is configured")]
    [InlineData("scope-regions", "Mars", "'Mars' is not an AWS Region name")]
    [InlineData("scope-keymanagers", "ME", "'ME' is not a key manager KMS knows")]
    [InlineData("scope-tags", "team", "'team' is not a tag: write it key=value.")]
    public async Task A_scope_value_KMS_does_not_know_is_refused_at_its_field(string field, string typed, string problem)
    {
        var page = OpenAs("adam");
        page.ChangeField("policy-name", "KMS.4");
        page.InputField("policy-justification", "Security Hub KMS.4");
        page.Field(field).Change(typed);

        page.ClickButton("Propose");

        AssertAtField(page, field, problem);
        Assert.Empty(page.FindAll("[data-testid='policies-refusal']"));
        Assert.Empty(await World.Get<RotationPolicies>().ListAsync());
    }

    [Theory]
    [InlineData("schedule-cron", "every day", null, null, "'every day' is not a cron expression")]
    [InlineData("schedule-time-zone", "0 6 * * MON", "Mars/Olympus", null, "'Mars/Olympus' is not a time zone")]
    [InlineData("schedule-lead-time", null, null, "0", "The lead time must be between 1 and")]
    [InlineData("schedule-cron", "0 6 * * MON", null, "30", "either a cron expression or a lead time")]
    public async Task A_schedule_that_cannot_run_is_refused_at_the_field_at_fault(string field, string? cron, string? zone, string? lead, string problem)
    {
        var page = OpenAs("adam");
        page.ChangeField("policy-name", "KMS.4");
        page.InputField("policy-justification", "Security Hub KMS.4");
        foreach (var (id, value) in new[] { ("schedule-cron", cron), ("schedule-time-zone", zone), ("schedule-lead-time", lead) })
        {
            if (value is not null)
            {
                page.Field(id).Change(value);
            }
        }

        page.ClickButton("Propose");

        AssertAtField(page, field, problem);
        Assert.Empty(await World.Get<RotationPolicies>().ListAsync());
    }

    [Fact]
    public async Task A_justification_over_the_limit_is_refused_at_the_field_before_the_service_is_asked()
    {
        var page = OpenAs("adam");
        page.ChangeField("policy-name", "KMS.4");
        page.InputField("policy-justification", new string('j', FreeText.MaxLength + 1));

        page.ClickButton("Propose");

        AssertAtField(page, "policy-justification", "At most 4,000 characters; this has 4,001.");
        Assert.Empty(await World.Get<RotationPolicies>().ListAsync());
    }

    [Fact]
    public async Task A_rejection_without_a_reason_is_refused_at_the_comment_and_the_version_stays_proposed()
    {
        await World.Get<RotationPolicies>().ProposeAsync(ActorOf("adam"), new PolicyProposal("KMS.4", new PolicyScope(),
            new PolicyRule { Kind = PolicyRuleKind.AutomaticRotation, Days = 365, Remedy = WorkflowKind.EnableAutomaticRotation }, "Security Hub KMS.4"));
        var page = OpenAs("alice");

        page.ClickButton("Reject");

        AssertAtField(page, "policy-decision-comment", "Give the reason for the rejection");
        Assert.Empty(page.FindAll("[data-testid='policies-refusal']"));
        Assert.Equal(PolicyState.Proposed, Assert.Single(await World.Get<RotationPolicies>().ListAsync()).State);

        page.InputField("policy-decision-comment", new string('c', FreeText.MaxLength + 1));
        page.ClickButton("Approve");
        AssertAtField(page, "policy-decision-comment", "At most 4,000 characters");
        Assert.Equal(PolicyState.Proposed, Assert.Single(await World.Get<RotationPolicies>().ListAsync()).State);
    }

    [Fact]
    public async Task An_exemption_without_a_policy_is_refused_at_the_policy()
    {
        await ActiveKms4Async();
        var page = OpenAs("rita");
        page.ChangeField("exemption-key", "alias/FirstCMK");
        page.InputField("exemption-reason", "decommissioned next month");

        page.ClickButton("Request an exemption");

        AssertAtField(page, "exemption-policy", "Choose the policy the key is exempted from.");
        Assert.Empty(await World.Get<PolicyExemptions>().ListAsync());
    }

    [Theory]
    [InlineData("exemption-reason", "alias/FirstCMK", "30", "", "Give the reason for the exemption")]
    [InlineData("exemption-days", "alias/FirstCMK", "400", "decommissioned", "at most 366 days ahead")]
    [InlineData("exemption-days", "alias/FirstCMK", "0", "decommissioned", "An exemption expires after now")]
    [InlineData("exemption-key", "alias/NoSuchKey", "30", "decommissioned", "Key alias/NoSuchKey on local is not in the inventory.")]
    public async Task An_exemption_request_is_refused_at_the_field_at_fault_and_creates_nothing(string field, string key, string days, string reason, string problem)
    {
        var policy = await ActiveKms4Async();
        var popovers = Render<MudPopoverProvider>();
        var page = OpenAs("rita");
        page.Find("[data-testid='exemption-policy']").MouseDown();
        popovers.WaitForAssertion(() => popovers.FindAll(".mud-list-item").First(i => i.TextContent.Contains(policy.Name, StringComparison.Ordinal)).Click(), Answer);
        page.ChangeField("exemption-key", key);
        page.ChangeField("exemption-days", days);
        page.InputField("exemption-reason", reason);

        page.ClickButton("Request an exemption");

        AssertAtField(page, field, problem);
        Assert.Empty(page.FindAll("[data-testid='policies-refusal']"));
        Assert.Empty(await World.Get<PolicyExemptions>().ListAsync());
        Assert.Contains($"/ {FreeText.MaxLength}", FieldText(page, "exemption-reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_exemption_rejected_without_a_reason_is_refused_at_its_comment_and_stays_requested()
    {
        var policy = await ActiveKms4Async();
        var key = await KeyAsync("alias/FirstCMK");
        await World.Get<PolicyExemptions>().RequestAsync(ActorOf("rita"),
            new ExemptionRequest(policy.PolicyId, ConsoleWorld.Target, key.KeyId, "decommissioned", DateTimeOffset.UtcNow.AddDays(30)));
        var page = OpenAs("alice");
        page.WaitForAssertion(() => page.Find("[data-testid='exemption-row']"), Answer);

        await page.InvokeAsync(() => page.Find("[data-testid='exemption-row']").QuerySelectorAll("button")
            .Single(b => b.TextContent.Trim() == "Reject").Click());

        AssertAtField(page, "exemption-decision-comment", "Give the reason for the rejection");
        Assert.Equal(ExemptionState.Requested, Assert.Single(await World.Get<PolicyExemptions>().ListAsync()).State);
    }
}
