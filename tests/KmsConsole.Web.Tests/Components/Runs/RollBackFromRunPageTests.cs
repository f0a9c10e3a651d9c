using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Runs;

namespace KmsConsole.Web.Tests.Components.Runs;

/// <summary>
/// A run stopped at the old key's fate gate has already moved its alias: the service rolls it back, and the run page
/// offers it, because both ask the run the same question.
/// </summary>
public sealed class RollBackFromRunPageTests : PageTest
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_run_rejected_or_cancelled_at_the_old_key_fate_gate_is_rolled_back_from_its_page(bool rejected)
    {
        var requests = World.Get<RotationRequests>();
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK", new RotationParameters { OldKeyFate = OldKeyFate.Disable });
        await requests.ApproveAsync(ActorOf("alice"), run.Id, null);
        var atFateGate = await WaitForFateGateAsync(run.Id);
        Assert.NotNull(atFateGate.NewKeyId);

        if (rejected)
        {
            await requests.RejectAsync(ActorOf("bob"), run.Id, "keep the old key enabled for now");
        }
        else
        {
            await requests.CancelAsync(ActorOf("rita"), run.Id, "the old key stays as it is");
        }

        SignInAs("rita");
        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));
        var ended = rejected ? "Rejected" : "Cancelled";
        page.WaitForAssertion(() => Assert.Equal(ended, page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(10));
        Assert.True(page.HasButton("Roll back"));

        page.InputField("reason", "The application team is not ready");
        page.ClickButton("Roll back");

        page.WaitForAssertion(() => Assert.Matches("/runs/[0-9a-f-]{36}$", CurrentUri), TimeSpan.FromSeconds(10));
        var rollBacks = await World.Get<RunQueries>().ListAsync(new RunFilter { Workflow = WorkflowKind.RollBack }, 0, 10);
        var rollBack = Assert.Single(rollBacks.Items);
        Assert.Equal(run.Id, (await World.Get<RunQueries>().GetAsync(rollBack.Id))!.Parameters.RollBackOf);
        Assert.EndsWith(rollBack.Id.ToString(), CurrentUri);
    }

    [Fact]
    public async Task A_run_rejected_at_its_first_gate_never_moved_its_alias_and_offers_no_roll_back()
    {
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK", new RotationParameters { OldKeyFate = OldKeyFate.Disable });
        await World.Get<RotationRequests>().RejectAsync(ActorOf("bob"), run.Id, "not this quarter");

        SignInAs("rita");
        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));
        page.WaitForAssertion(() => Assert.Equal("Rejected", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(10));

        Assert.False(page.HasButton("Roll back"));
        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => World.Get<RotationRequests>().RequestRollBackAsync(ActorOf("rita"), run.Id, "undo"));
        Assert.Contains("never moved alias/FirstCMK", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>The orchestrator moves the alias and stops at the gate before the old key's fate (bounded wait).</summary>
    private async Task<Run> WaitForFateGateAsync(Guid runId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var run = (await World.Get<RunQueries>().GetAsync(runId))!;
            if (run is { State: RunState.AwaitingApproval, CurrentStepIndex: > 0 })
            {
                return run;
            }

            Assert.False(run.IsFinished, $"Run {runId} ended ({run.State}: {run.Error}) before its fate gate.");
            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {runId} did not reach its old-key fate gate within a minute.");
    }
}
