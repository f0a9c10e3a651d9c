using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Iam;
using KmsConsole.Web.Components.Approvals;
using KmsConsole.Web.Components.Layout;
using KmsConsole.Web.Components.Runs;
using KmsConsole.Web.Components.Shared;

namespace KmsConsole.Web.Tests.Components.Runs;

/// <summary>What an approver reads before deciding: every parameter in words, the key, the gate, the permission check.</summary>
public sealed class ApproverViewTests : PageTest
{
    private static readonly RotationParameters DeleteAfterSevenDays = new() { OldKeyFate = OldKeyFate.ScheduleDeletion, PendingWindowInDays = 7 };

    private IRenderedComponent<RunDetail> RenderRun(Guid runId, string userId)
    {
        SignInAs(userId);
        var page = Render<RunDetail>(p => p.Add(x => x.RunId, runId));
        page.WaitForAssertion(() => page.Find("[data-testid='run-state']"), TimeSpan.FromSeconds(10));
        return page;
    }

    [Fact]
    public async Task The_run_page_says_the_old_key_is_deleted_after_seven_days_and_shows_no_wrapping_algorithm_for_a_new_key_swap()
    {
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK", DeleteAfterSevenDays);
        var page = RenderRun(run.Id, "alice");

        var fate = page.Find("[data-testid='parameter-old-key-fate']").TextContent;
        Assert.Contains("deletion scheduled, deleted after 7 days", fate);
        Assert.Empty(page.FindAll("[data-testid='parameter-wrapping-algorithm']"));
        Assert.DoesNotContain("RSAES_OAEP", page.Find("[data-testid='request']").TextContent);
        Assert.Contains("Approving passes step 1", page.Find("[data-testid='gate-releases']").TextContent);
        Assert.Equal("Enabled", page.Find("[data-testid='run-header'] [data-testid='key-state']").GetAttribute("data-key-state"));
    }

    [Fact]
    public async Task The_run_page_names_the_rotation_period_in_days()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK", new RotationParameters { RotationPeriodInDays = 180 });
        var page = RenderRun(run.Id, "alice");

        Assert.Equal("every 180 days", page.Find("[data-testid='parameter-rotation-period']").TextContent);
        Assert.Empty(page.FindAll("[data-testid='parameter-old-key-fate']"));
    }

    [Fact]
    public async Task The_approvals_list_shows_justification_workflow_key_age_and_the_old_key_fate()
    {
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK", DeleteAfterSevenDays, "Yearly swap, the old key is retired");
        SignInAs("alice");
        var page = Render<ApprovalsPage>();

        page.WaitForAssertion(() => page.Find($"[data-testid='run-row'][data-run-id='{run.Id}']"), TimeSpan.FromSeconds(10));
        var item = page.Find($"[data-testid='run-row'][data-run-id='{run.Id}']");
        Assert.Equal("Yearly swap, the old key is retired", item.QuerySelector("[data-testid='approval-justification']")!.TextContent);
        Assert.Contains("alias/FirstCMK", item.QuerySelector("[data-testid='approval-key']")!.TextContent);
        Assert.StartsWith("waiting ", item.QuerySelector("[data-testid='approval-age']")!.TextContent.Trim());
        Assert.Contains("New key, alias swap", item.TextContent, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("deleted after 7 days", item.QuerySelector("[data-testid='parameter-old-key-fate']")!.TextContent);
        Assert.NotNull(item.QuerySelector("[data-testid='approval-permissions']"));
    }

    [Fact]
    public async Task The_approvals_menu_item_counts_the_runs_waiting_for_this_approver_and_not_for_their_requester()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");

        SignInAs("alice");
        var menu = Render<NavMenu>();
        menu.WaitForAssertion(() => Assert.Equal("1", menu.Find("[data-testid='approvals-count']").TextContent.Trim()), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_approvals_menu_item_follows_a_new_request()
    {
        SignInAs("alice");
        var menu = Render<NavMenu>();
        menu.WaitForAssertion(() => menu.Find("nav"));
        Assert.Empty(menu.FindAll("[data-testid='approvals-count']"));

        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");

        menu.WaitForAssertion(() => Assert.Equal("1", menu.Find("[data-testid='approvals-count']").TextContent.Trim()), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_permission_check_not_made_is_a_warning_not_an_information()
    {
        var notChecked = new RecordedPermissionCheck(DateTimeOffset.UtcNow, "arn:aws:iam::111122223333:role/r", PermissionSource.NotChecked, "IAM was unreachable.", []);
        var view = Render<PermissionCheckView>(p => p.Add(x => x.Check, notChecked));

        var alert = view.Find("[data-testid='permission-not-checked']");
        Assert.Contains("this is not a pass", alert.TextContent);
        Assert.Contains("warning", alert.ClassName);
        Assert.DoesNotContain("info", alert.ClassName);

        Assert.Equal(MudBlazor.Severity.Warning, ApprovalsPage.Permissions(notChecked).Severity);
    }

    [Fact]
    public async Task After_an_alias_swap_the_header_names_the_new_key_step_output_links_key_ids_and_roll_back_comes_last_with_its_explanation()
    {
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK");
        await World.Get<RotationRequests>().ApproveAsync(ActorOf("alice"), run.Id, null);
        var page = RenderRun(run.Id, "rita");
        page.WaitForAssertion(() => Assert.Equal("Succeeded", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(60));

        var done = (await World.Get<RunQueries>().GetAsync(run.Id))!;
        Assert.NotNull(done.NewKeyId);
        page.WaitForAssertion(() => Assert.Contains(done.NewKeyId!, page.Find("[data-testid='run-new-key']").TextContent));
        Assert.Contains(page.FindAll("[data-testid='step-output-key']"), a => a.TextContent == done.NewKeyId && a.GetAttribute("href")!.EndsWith(done.NewKeyId!));

        var explanation = page.Find("[data-testid='roll-back-explanation']").TextContent;
        Assert.Contains("points alias/FirstCMK back at the key it started from", explanation);
        Assert.Contains(done.NewKeyId!, explanation);
        var sections = page.FindAll("[data-testid='request'], [data-testid='recorded-permissions'], [data-testid='run-actions']")
            .Select(e => e.GetAttribute("data-testid")).ToList();
        Assert.Equal(["request", "recorded-permissions", "run-actions"], sections);
        Assert.NotNull(page.Find("[data-testid='run-duration']"));
    }

    [Fact]
    public async Task A_reason_longer_than_the_limit_is_refused_at_the_field_and_changes_nothing()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var page = RenderRun(run.Id, "rita");

        page.InputField("reason", new string('x', FreeText.MaxLength + 1));
        page.ClickButton("Cancel run");

        page.WaitForAssertion(() => Assert.Contains($"At most {FreeText.MaxLength:N0} characters", page.Markup));
        Assert.Equal(RunState.AwaitingApproval, (await World.Get<RunQueries>().GetAsync(run.Id))!.State);
        Assert.Equal(FreeText.MaxLength.ToString(), page.Field("reason").GetAttribute("maxlength"));
    }
}
