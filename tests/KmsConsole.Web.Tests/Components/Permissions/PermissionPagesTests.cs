using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Iam;
using KmsConsole.Web.Components.Approvals;
using KmsConsole.Web.Components.Keys;
using KmsConsole.Web.Components.Permissions;
using KmsConsole.Web.Components.Runs;

namespace KmsConsole.Web.Tests.Components.Permissions;

/// <summary>
/// The permission preflight in the request form and the run detail, and the grant page, over the local endpoint
/// acting as the workshop's role (no rotation permissions) with KMS permission enforcement on.
/// </summary>
public sealed class PermissionPagesTests : PageTest
{
    private const string RoleArn = "arn:aws:iam::111122223333:role/KMSWorkshop-InstanceInitRole";

    protected override bool RunOrchestrator => false;

    protected override bool ActAsWorkshopRole => true;

    private async Task<IRenderedComponent<RequestRotation>> PreviewSwapAsync(string userId)
    {
        var key = await KeyAsync("alias/FirstCMK");
        SignInAs(userId);
        NavigateTo($"keys/{ConsoleWorld.Target}/{key.KeyId}/request?workflow={WorkflowKind.AliasSwapNewKey}");
        var page = Render<RequestRotation>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, key.KeyId));
        page.WaitForAssertion(() => page.Field("justification"), TimeSpan.FromSeconds(10));
        page.InputField("justification", "Workshop rotation");
        page.ClickButton("Preview plan");
        page.WaitForAssertion(() => page.Find("[data-testid='permissions']"), TimeSpan.FromSeconds(10));
        return page;
    }

    private async Task<PolicyGrant> GrantSwapAsync()
    {
        var grants = World.Get<PolicyGrants>();
        var grant = await grants.RequestAsync(ActorOf("adam"), new PolicyGrantRequest(ConsoleWorld.Target, [WorkflowKind.AliasSwapNewKey], PolicyScope.Account), "workshop IAM step");
        return await grants.ApproveAsync(ActorOf("alice"), grant.Id, null);
    }

    [Fact]
    public async Task The_request_form_shows_the_denied_action_and_refuses_naming_it()
    {
        var page = await PreviewSwapAsync("rita");

        var denied = page.FindAll("[data-testid='permission-row'][data-decision='ImplicitDeny']");
        Assert.Contains(denied, row => row.TextContent.Contains("kms:UpdateAlias", StringComparison.Ordinal) && row.TextContent.Contains("implicit deny", StringComparison.Ordinal));
        Assert.Contains(page.FindAll("[data-testid='permission-row'][data-decision='Allowed']"),
            row => row.TextContent.Contains("kms:CreateKey", StringComparison.Ordinal) && row.TextContent.Contains("KMS-Workshop-ImportMaterialPermissions", StringComparison.Ordinal));
        Assert.Contains(RoleArn, page.Find("[data-testid='permission-principal']").TextContent, StringComparison.Ordinal);
        // The workshop role also lacks the hazard check's reads and the grant copy, named in the same refusal.
        var refusals = page.Find("[data-testid='refusals']").TextContent;
        Assert.Contains("lacks kms:", refusals, StringComparison.Ordinal);
        Assert.Contains("kms:UpdateAlias", refusals, StringComparison.Ordinal);
        Assert.True(page.Button("Submit request").HasAttribute("disabled"));
        Assert.Empty(page.FindAll("[data-testid='grant-link']"));
        Assert.Contains("An Admin can grant", page.Find("[data-testid='permissions']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_Admin_is_offered_the_grant_of_the_generated_policy()
    {
        var page = await PreviewSwapAsync("adam");

        var link = page.Find("[data-testid='grant-link']");
        Assert.StartsWith($"permissions?target={ConsoleWorld.Target}&workflow=AliasSwapNewKey", link.GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_run_detail_shows_the_permission_check_recorded_at_request_time()
    {
        await GrantSwapAsync();
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK");
        SignInAs("audrey");

        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));

        page.WaitForAssertion(() => page.Find("[data-testid='recorded-permissions'] [data-testid='permission-table']"), TimeSpan.FromSeconds(10));
        var recorded = page.Find("[data-testid='recorded-permissions']");
        Assert.Contains("IAM SimulatePrincipalPolicy", recorded.TextContent, StringComparison.Ordinal);
        Assert.Contains($"{run.PermissionCheck!.Permissions.Count} of {run.PermissionCheck.Permissions.Count} allowed", recorded.TextContent, StringComparison.Ordinal);
        Assert.Contains(page.FindAll("[data-testid='permission-row']"),
            row => row.TextContent.Contains("kms:UpdateAlias", StringComparison.Ordinal) && row.TextContent.Contains("KmsConsole-AliasSwapNewKey", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_Admin_requests_a_grant_that_only_another_user_approves_and_applies()
    {
        SignInAs("adam");
        NavigateTo($"permissions?target={ConsoleWorld.Target}&workflow=AliasSwapNewKey");
        var admin = Render<PermissionsPage>();
        admin.WaitForAssertion(() => admin.Find("[data-testid='grant-form']"), TimeSpan.FromSeconds(10));

        admin.ClickButton("Preview policy");
        admin.WaitForAssertion(() => admin.Find("[data-testid='preview-document']"), TimeSpan.FromSeconds(10));
        Assert.Equal(RoleArn, admin.Find("[data-testid='preview-role']").TextContent);
        Assert.Equal("KmsConsole-AliasSwapNewKey", admin.Find("[data-testid='preview-policy-name']").TextContent);
        Assert.Contains("\"kms:UpdateAlias\"", admin.Find("[data-testid='preview-document']").TextContent, StringComparison.Ordinal);
        // The test target names no grant credentials, so the executing role itself would change IAM; the page says so.
        var appliedBy = admin.Find("[data-testid='preview-applied-by']").TextContent;
        Assert.Contains("arn:aws:sts::111122223333:assumed-role/KMSWorkshop-InstanceInitRole/", appliedBy, StringComparison.Ordinal);
        Assert.Contains("the target's own credentials", appliedBy, StringComparison.Ordinal);
        Assert.Contains("GrantRoleArn", admin.Find("[data-testid='grant-principal-note']").TextContent, StringComparison.Ordinal);
        admin.InputField("grant-justification", "The workshop's IAM step");
        admin.ClickButton("Request grant");
        admin.WaitForAssertion(() => Assert.Contains("requested", admin.Find("[data-testid='grant-message']").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        admin.WaitForAssertion(() => admin.Find("[data-testid='pending-grant'] [data-testid='grant-own']"));
        Assert.False(admin.HasButton("Approve and apply"));

        SignInAs("alice");
        var approvals = Render<ApprovalsPage>();
        approvals.WaitForAssertion(() => Assert.Contains("KmsConsole-AliasSwapNewKey", approvals.Find("[data-testid='grants-waiting']").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var approver = Render<PermissionsPage>();
        approver.WaitForAssertion(() => Assert.True(approver.HasButton("Approve and apply")), TimeSpan.FromSeconds(10));
        Assert.Empty(approver.FindAll("[data-testid='grant-form']"));

        approver.ClickButton("Approve and apply");

        approver.WaitForAssertion(() => Assert.Contains("Approved and applied", approver.Find("[data-testid='grant-message']").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var row = approver.Find("[data-testid='grant-row']");
        Assert.Equal(nameof(PolicyGrantState.Applied), row.GetAttribute("data-state"));
        Assert.Contains("arn:aws:iam::111122223333:policy/KmsConsole-AliasSwapNewKey (v1)", row.TextContent, StringComparison.Ordinal);
        Assert.True((await World.Get<RotationRequests>().PreflightAsync(
            new RotationRequest(ConsoleWorld.Target, "alias/FirstCMK", WorkflowKind.AliasSwapNewKey, new RotationParameters(), "now"))).Allowed);
    }
}

/// <summary>The console's default local target: the caller "kmsconsole-tests" is not a role, so nothing is checked, and the pages say so.</summary>
public sealed class UncheckedPermissionTests : PageTest
{
    protected override bool RunOrchestrator => false;

    [Fact]
    public async Task A_caller_that_is_not_a_role_shows_as_not_checked_not_as_a_pass()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        SignInAs("audrey");

        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));

        page.WaitForAssertion(() => page.Find("[data-testid='permission-not-checked']"), TimeSpan.FromSeconds(10));
        Assert.Contains("not a pass", page.Find("[data-testid='permission-not-checked']").TextContent, StringComparison.Ordinal);
        Assert.Contains("is not a role", page.Find("[data-testid='permission-not-checked']").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid='permission-table']"));
    }
}
