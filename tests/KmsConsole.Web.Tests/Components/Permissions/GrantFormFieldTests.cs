using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Iam;
using KmsConsole.Web.Components.Permissions;

namespace KmsConsole.Web.Tests.Components.Permissions;

/// <summary>
/// The grant form shows each refusal of <see cref="PolicyGrants"/> next to the field it names, and a refused preview or
/// request creates nothing: no preview, no grant.
/// </summary>
public sealed class GrantFormFieldTests : PageTest
{
    protected override bool RunOrchestrator => false;

    protected override bool ActAsWorkshopRole => true;

    private IRenderedComponent<PermissionsPage> OpenAsAdmin(string query = "")
    {
        SignInAs("adam");
        NavigateTo($"permissions?target={ConsoleWorld.Target}{query}");
        var page = Render<PermissionsPage>();
        page.WaitForAssertion(() => page.Find("[data-testid='grant-form']"), TimeSpan.FromSeconds(10));
        return page;
    }

    private static string FieldText(IRenderedComponent<PermissionsPage> page, string testId) =>
        page.Find($"[data-testid='{testId}']").Closest(".mud-input-control")!.TextContent;

    private async Task AssertNothingChangedAsync(IRenderedComponent<PermissionsPage> page)
    {
        Assert.Empty(page.FindAll("[data-testid='preview-document']"));
        Assert.Empty(page.FindAll("[data-testid='grant-message']"));
        Assert.Empty(await World.Get<PolicyGrants>().ListAsync());
    }

    [Fact]
    public async Task A_preview_without_a_workflow_is_refused_under_the_workflows()
    {
        var page = OpenAsAdmin();

        page.ClickButton("Preview policy");

        page.WaitForAssertion(() => Assert.Equal("Choose at least one workflow the role must be able to run.", page.Find("[data-testid='grant-workflows-error']").TextContent),
            TimeSpan.FromSeconds(10));
        await AssertNothingChangedAsync(page);

        // Choosing a workflow clears the problem.
        await page.InvokeAsync(() => page.Field($"grant-workflow-{WorkflowKind.AliasSwapNewKey}").Change(true));
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid='grant-workflows-error']")));
    }

    [Theory]
    [InlineData("has spaces")]
    [InlineData("semi;colon")]
    public async Task A_policy_name_IAM_would_refuse_is_refused_at_the_field(string name)
    {
        var page = OpenAsAdmin($"&workflow={WorkflowKind.AliasSwapNewKey}");
        page.InputField("grant-policy-name", name);

        page.ClickButton("Preview policy");

        page.WaitForAssertion(() => Assert.Contains($"'{name}' is not a valid IAM policy name", FieldText(page, "grant-policy-name"), StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
        await AssertNothingChangedAsync(page);
    }

    [Theory]
    [InlineData("", "Name the keys or aliases the policy is for")]
    [InlineData("alias/NoSuchKey", "alias/NoSuchKey was not found on target")]
    public async Task Named_keys_that_are_missing_or_unknown_are_refused_at_the_field(string typed, string message)
    {
        var page = OpenAsAdmin($"&workflow={WorkflowKind.AliasSwapNewKey}");
        await page.InvokeAsync(() => page.FindAll(".mud-radio").Single(r => r.TextContent.Contains("Only named keys", StringComparison.Ordinal))
            .QuerySelector("input")!.Click());
        page.WaitForAssertion(() => page.Field("grant-named"));
        page.InputField("grant-named", typed);

        page.ClickButton("Preview policy");

        page.WaitForAssertion(() => Assert.Contains(message, FieldText(page, "grant-named"), StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        await AssertNothingChangedAsync(page);
    }

    [Fact]
    public async Task A_request_without_a_justification_is_refused_at_the_field_and_creates_no_grant()
    {
        var page = OpenAsAdmin($"&workflow={WorkflowKind.AliasSwapNewKey}");
        page.ClickButton("Preview policy");
        page.WaitForAssertion(() => page.Find("[data-testid='preview-document']"), TimeSpan.FromSeconds(10));

        page.ClickButton("Request grant");

        page.WaitForAssertion(() => Assert.Contains("Give a justification", FieldText(page, "grant-justification"), StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid='grant-message']"));
        Assert.Empty(await World.Get<PolicyGrants>().ListAsync());
        Assert.Contains("/ 4000", FieldText(page, "grant-justification"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejection_without_a_comment_is_refused_at_the_comment_and_leaves_the_grant_waiting()
    {
        var grant = await World.Get<PolicyGrants>().RequestAsync(ActorOf("adam"),
            new PolicyGrantRequest(ConsoleWorld.Target, [WorkflowKind.AliasSwapNewKey], PolicyScope.Account), "workshop IAM step");
        SignInAs("alice");
        var page = Render<PermissionsPage>();
        page.WaitForAssertion(() => Assert.True(page.HasButton("Reject")), TimeSpan.FromSeconds(10));

        page.ClickButton("Reject");

        page.WaitForAssertion(() => Assert.Contains("Give the reason for the rejection", FieldText(page, "grant-comment"), StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid='grant-message']"));
        Assert.Equal(PolicyGrantState.AwaitingApproval, (await World.Get<PolicyGrants>().GetAsync(grant.Id))!.State);
    }
}
