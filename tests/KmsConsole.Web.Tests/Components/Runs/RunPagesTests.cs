using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Approvals;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Web.Components.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Tests.Components.Runs;

public sealed class RunPagesTests : PageTest
{
    private IRenderedComponent<RunDetail> RenderRun(Run run, string userId)
    {
        SignInAs(userId);
        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));
        page.WaitForAssertion(() => page.Find("[data-testid='run-state']"), TimeSpan.FromSeconds(10));
        return page;
    }

    [Fact]
    public async Task Run_detail_shows_the_request_its_steps_and_the_gate_waiting()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK", justification: "Turn on yearly rotation");
        var page = RenderRun(run, "rita");

        Assert.Equal("AwaitingApproval", page.Find("[data-testid='run-state']").GetAttribute("data-run-state"));
        Assert.Equal("Turn on yearly rotation", page.Find("[data-testid='justification']").TextContent);
        Assert.Contains("Rita Requester", page.Find("[data-testid='requested-by']").TextContent);
        Assert.Equal(run.Steps.Count, page.FindAll("[data-testid^='step-']").Count(e => e.HasAttribute("data-step-state")));
    }

    [Theory]
    [InlineData("alice", true)]
    [InlineData("bob", true)]
    [InlineData("rita", false)]
    [InlineData("audrey", false)]
    [InlineData("adam", true)]
    public async Task Approve_and_reject_are_offered_only_to_approvers_who_did_not_request_the_run(string userId, bool offered)
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var page = RenderRun(run, userId);

        Assert.Equal(offered, page.HasButton("Approve"));
        Assert.Equal(offered, page.HasButton("Reject"));
    }

    [Theory]
    [InlineData("alice", false)]
    [InlineData("adam", true)]
    public async Task Approve_is_offered_by_the_approver_role_configured_for_the_workflow(string userId, bool offered)
    {
        World.Get<IOptions<RotationOptions>>().Value.Approvals[WorkflowKind.EnableAutomaticRotation] = new ApprovalPolicy { ApproverRole = Roles.Admin };
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var page = RenderRun(run, userId);

        Assert.Equal(offered, page.HasButton("Approve"));
        Assert.Equal(offered, page.HasButton("Cancel run"));
    }

    [Fact]
    public async Task The_requester_is_told_another_approver_must_decide()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var page = RenderRun(run, "rita");

        Assert.Contains("another approver must decide", page.Find("[data-testid='gate-explanation']").TextContent);
        Assert.True(page.HasButton("Cancel run"));
    }

    [Fact]
    public async Task Self_approval_is_refused_on_the_server_whatever_the_page_shows()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var ritaAsApprover = new Actor("rita", "Rita Requester", new HashSet<string> { Roles.Requester, Roles.Approver });

        await Assert.ThrowsAnyAsync<Exception>(() => World.Get<RotationRequests>().ApproveAsync(ritaAsApprover, run.Id, null));
        Assert.Equal(RunState.AwaitingApproval, (await World.Get<RunQueries>().GetAsync(run.Id))!.State);
    }

    [Fact]
    public async Task Reject_needs_a_comment()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var page = RenderRun(run, "alice");

        page.ClickButton("Reject");

        page.WaitForAssertion(() => Assert.Contains("A comment is required to reject.",
            page.Find("[data-testid='decision-comment']").Closest(".mud-input-control")!.TextContent));
        Assert.Equal(RunState.AwaitingApproval, (await World.Get<RunQueries>().GetAsync(run.Id))!.State);

        page.InputField("decision-comment", "Not this week");
        page.ClickButton("Reject");
        page.WaitForAssertion(() => Assert.Equal("Rejected", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Run_detail_follows_the_run_live_as_the_orchestrator_works()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var page = RenderRun(run, "rita");
        Assert.Equal("AwaitingApproval", page.Find("[data-testid='run-state']").GetAttribute("data-run-state"));

        // Another person approves elsewhere; this page only hears about it through RunChangeFeed.
        await World.Get<RotationRequests>().ApproveAsync(ActorOf("alice"), run.Id, "fine");

        page.WaitForAssertion(() => Assert.Equal("Succeeded", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(30));
        Assert.All(page.FindAll("[data-step-state]"), s => Assert.Contains(s.GetAttribute("data-step-state"), new[] { "Succeeded", "Skipped" }));
        Assert.NotEmpty(page.FindAll("[data-testid='aws-request-id']"));
        Assert.Contains("Alice Approver", page.Find("[data-testid='decision']").TextContent);
    }

    [Fact]
    public async Task The_requester_cancels_a_waiting_run_with_a_reason()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var page = RenderRun(run, "rita");

        page.ClickButton("Cancel run");
        page.WaitForAssertion(() => Assert.Contains("Say why.", page.Find("[data-testid='reason']").Closest(".mud-input-control")!.TextContent));
        Assert.Equal(RunState.AwaitingApproval, (await World.Get<RunQueries>().GetAsync(run.Id))!.State);

        page.InputField("reason", "Wrong key");
        page.ClickButton("Cancel run");

        page.WaitForAssertion(() => Assert.Equal("Cancelled", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(10));
        Assert.False(page.HasButton("Cancel run"));
    }

    /// <summary>
    /// Leaves the run as another console instance would while it is in the middle of <paramref name="stepIndex"/>: approved,
    /// Running, the steps before it done, its lease held for an hour (so this world's own orchestrator leaves it alone).
    /// </summary>
    private async Task RunningElsewhereAsync(Run run, int stepIndex)
    {
        await using var db = await World.Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();
        var until = DateTimeOffset.UtcNow.AddHours(1);
        await db.Runs.Where(r => r.Id == run.Id).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.State, RunState.Running)
            .SetProperty(r => r.CurrentStepIndex, stepIndex)
            .SetProperty(r => r.LeaseOwner, "console-elsewhere")
            .SetProperty(r => r.LeaseUntil, until));
        await db.RunSteps.Where(s => s.RunId == run.Id && s.Index < stepIndex).ExecuteUpdateAsync(s => s.SetProperty(x => x.State, StepState.Succeeded));
        await db.RunSteps.Where(s => s.RunId == run.Id && s.Index == stepIndex).ExecuteUpdateAsync(s => s.SetProperty(x => x.State, StepState.Running));
    }

    private Task<Run> SwapDisablingTheOldKeyAsync() =>
        RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK", new RotationParameters { OldKeyFate = OldKeyFate.Disable });

    [Theory]
    [InlineData("rita", true)]
    [InlineData("alice", true)]
    [InlineData("audrey", false)]
    public async Task A_running_run_before_its_last_gate_offers_cancel_to_its_requester_and_approvers(string userId, bool offered)
    {
        var run = await SwapDisablingTheOldKeyAsync();
        await RunningElsewhereAsync(run, 3);

        var page = RenderRun(run, userId);

        Assert.Equal("Running", page.Find("[data-testid='run-state']").GetAttribute("data-run-state"));
        Assert.Equal(offered, page.HasButton("Cancel run"));
        Assert.Empty(page.FindAll("[data-testid='cancel-requested']"));
    }

    [Fact]
    public async Task A_running_run_past_its_last_gate_offers_no_cancel()
    {
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK", new RotationParameters { OldKeyFate = OldKeyFate.Keep });
        await RunningElsewhereAsync(run, 2);

        var page = RenderRun(run, "rita");

        Assert.Equal("Running", page.Find("[data-testid='run-state']").GetAttribute("data-run-state"));
        Assert.False(page.HasButton("Cancel run"));
    }

    [Fact]
    public async Task Cancelling_a_running_run_shows_who_asked_and_when_while_it_finishes_its_step()
    {
        var run = await SwapDisablingTheOldKeyAsync();
        await RunningElsewhereAsync(run, 3);
        var page = RenderRun(run, "rita");

        page.InputField("reason", "Wrong key");
        page.ClickButton("Cancel run");

        page.WaitForAssertion(() => Assert.Contains("Cancel requested: the run finishes the step it is in", page.Find("[data-testid='action-message']").TextContent),
            TimeSpan.FromSeconds(10));
        var notice = page.Find("[data-testid='cancel-requested']").TextContent;
        Assert.Contains("Cancel requested by Rita Requester at", notice);
        var requestedAt = (await World.Get<RunQueries>().GetAsync(run.Id))!.CancelRequestedAt!.Value;
        Assert.Contains($"{requestedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", notice);
        Assert.Contains("Wrong key", notice);
        Assert.Contains("step 4 (Verify the new key) and stops before the next one", notice);
        Assert.Equal("Running", page.Find("[data-testid='run-state']").GetAttribute("data-run-state"));
        Assert.False(page.HasButton("Cancel run"));

        var approverView = RenderRun(run, "alice");
        Assert.Contains("Cancel requested by Rita Requester", approverView.Find("[data-testid='cancel-requested']").TextContent);
        Assert.False(approverView.HasButton("Cancel run"));
    }

    [Fact]
    public async Task A_finished_alias_swap_offers_roll_back_which_opens_the_roll_back_run()
    {
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK");
        await World.Get<RotationRequests>().ApproveAsync(ActorOf("alice"), run.Id, null);
        var page = RenderRun(run, "rita");
        page.WaitForAssertion(() => Assert.Equal("Succeeded", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(30));
        page.WaitForAssertion(() => Assert.True(page.HasButton("Roll back")));

        page.InputField("reason", "The application team is not ready");
        page.ClickButton("Roll back");

        page.WaitForAssertion(() => Assert.Matches("/runs/[0-9a-f-]{36}$", CurrentUri), TimeSpan.FromSeconds(10));
        var rollBack = await World.Get<RunQueries>().ListAsync(new RunFilter { Workflow = WorkflowKind.RollBack }, 0, 10);
        Assert.Equal(run.Id, (await World.Get<RunQueries>().GetAsync(rollBack.Items.Single().Id))!.Parameters.RollBackOf);
        Assert.EndsWith(rollBack.Items.Single().Id.ToString(), CurrentUri);
    }

    [Fact]
    public async Task Viewers_of_an_enable_rotation_run_are_not_offered_roll_back()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        await World.Get<RotationRequests>().ApproveAsync(ActorOf("bob"), run.Id, null);
        var page = RenderRun(run, "rita");
        page.WaitForAssertion(() => Assert.Equal("Succeeded", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(30));

        Assert.False(page.HasButton("Roll back"));
        Assert.False(page.HasButton("Cancel run"));
    }

    [Fact]
    public async Task Approvals_lists_what_waits_for_the_signed_in_approver()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        SignInAs("alice");
        var page = Render<ApprovalsPage>();

        page.WaitForAssertion(() => Assert.Equal(run.Id.ToString(), page.Find("[data-testid='run-row']").GetAttribute("data-run-id")), TimeSpan.FromSeconds(10));

        await World.Get<RotationRequests>().ApproveAsync(ActorOf("bob"), run.Id, null);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid='run-row']")), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Run_list_shows_runs_with_their_state()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        await RequestAsync("rita", WorkflowKind.AliasSwapImportedKey, "alias/ImportedCMK");
        SignInAs("audrey");
        var page = Render<RunList>();

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid='run-state']").Count), TimeSpan.FromSeconds(10));
        Assert.Contains("New imported key, alias swap", page.Markup);
        Assert.Contains("Enable automatic rotation", page.Markup);
    }
}
