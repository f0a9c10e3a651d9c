using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Safety;
using KmsConsole.Web.Components.Runs;

namespace KmsConsole.Web.Tests.Components.Safety;

/// <summary>A staged retirement's watch is not a decision: the run page offers an approver the re-enable, never Approve or Reject.</summary>
public sealed class WatchOnRunPageTests : PageTest
{
    [Fact]
    public async Task While_the_old_key_is_watched_the_approver_is_offered_re_enable_and_no_approve_or_reject()
    {
        var requests = World.Get<RotationRequests>();
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK",
            new RotationParameters { OldKeyFate = OldKeyFate.StagedRetirement, PendingWindowInDays = 7 });
        await requests.ApproveAsync(ActorOf("alice"), run.Id, null);
        await WaitForAsync(run.Id, r => r is { State: RunState.AwaitingApproval, CurrentStepIndex: > 0 });

        // At the fate gate the decision is offered.
        SignInAs("bob");
        var atGate = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));
        atGate.WaitForAssertion(() => Assert.True(atGate.HasButton("Approve")), TimeSpan.FromSeconds(10));
        Assert.True(atGate.HasButton("Reject"));
        atGate.Dispose();

        await requests.ApproveAsync(ActorOf("alice"), run.Id, "retire it in stages");
        var watching = await WaitForAsync(run.Id, r => World.Get<RetirementWatch>().IsWatching(r));
        Assert.False(requests.MayDecide(ActorOf("bob"), watching));

        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));
        page.WaitForAssertion(() => Assert.True(page.HasButton("Re-enable the old key")), TimeSpan.FromSeconds(10));
        Assert.False(page.HasButton("Approve"));
        Assert.False(page.HasButton("Reject"));
    }

    /// <summary>Waits (bounded) until the orchestrator brings the run where <paramref name="reached"/> says.</summary>
    private async Task<Run> WaitForAsync(Guid runId, Func<Run, bool> reached)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var run = (await World.Get<RunQueries>().GetAsync(runId))!;
            if (reached(run))
            {
                return run;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {runId} did not get there within a minute.");
    }
}
