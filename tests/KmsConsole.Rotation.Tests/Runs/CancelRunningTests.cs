using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Tests.Runs;

/// <summary>
/// A run in the middle of a step can be cancelled by its requester or an approver until it passes its last gate: the
/// request is recorded at once, the orchestrator finishes the step it is in and ends the run before the next one, naming
/// what was done, and lets go of the key and alias.
/// </summary>
public sealed class CancelRunningTests
{
    // New key, alias swap with the old key disabled: 0 approval, 1 sample, 2 create, 3 verify new key, 4 replicate (multi-Region),
    // 5 copy grants, 6 point alias, 7 point the replicas' aliases, 8 verify alias, 9 approval of the old key's fate (the last gate),
    // 10 disable the old key.
    private const int EncryptSample = 1;
    private const int VerifyNewKey = 3;
    private const int FateGate = 9;
    private const int DisableOldKey = 10;

    private static readonly RotationParameters DisableOldKeyAfterwards = new() { OldKeyFate = OldKeyFate.Disable };

    private static async Task<List<string>> ActionsAsync(RotationWorld world, Guid runId) =>
        (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = runId }, 0, 200)).Items
            .OrderBy(e => e.Sequence).Select(e => e.Action).ToList();

    [Fact]
    public async Task A_cancel_that_lands_as_the_next_step_is_about_to_start_stops_the_run_before_that_step()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKey, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, DisableOldKeyAfterwards);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        const int createKey = 2;
        var cancelAsItStarts = new CancelBeforeStep(createKey, () => world.Requests.CancelAsync(RotationWorld.Alice, run.Id, "hold on"));

        var cancelled = await world.DriveAsync(run.Id, world.NewOrchestrator(cancelAsItStarts), approveGates: false);

        Assert.True(cancelAsItStarts.Cancelled);
        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Null(cancelled.Steps[createKey].StartedAt);
        Assert.Equal(StepState.Skipped, cancelled.Steps[createKey].State);
        Assert.Empty(await world.KeysTaggedWithAsync(run.Id));
        Assert.Contains("before step 3 \"Create the new key\"", cancelled.Error);
        Assert.Equal(oldKey, (await world.DescribeAsync(alias)).KeyId);
    }

    /// <summary>Cancels the run in the moment between the engine's read of it and its record of the step as started.</summary>
    private sealed class CancelBeforeStep(int stepIndex, Func<Task> cancel) : RunEngineHooks
    {
        public bool Cancelled { get; private set; }

        public override async Task BeforeStepStartsAsync(Run run, int index)
        {
            if (index == stepIndex && !Cancelled)
            {
                Cancelled = true;
                await cancel();
            }
        }
    }

    [Fact]
    public async Task A_run_cancelled_during_a_step_finishes_that_step_and_stops_before_the_next_keeping_what_it_made()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKey, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, DisableOldKeyAfterwards);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        var pause = new StepPause(VerifyNewKey);
        var driving = Task.Run(() => world.DriveAsync(run.Id, world.NewOrchestrator(pause), approveGates: false));
        await pause.Entered.WaitAsync(TimeSpan.FromMinutes(1));

        var running = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Running, running.State);
        Assert.True(world.Requests.MayCancel(RotationWorld.Alice, running));
        Assert.True(world.Requests.MayCancel(RotationWorld.Carol, running));
        Assert.False(world.Requests.MayCancel(RotationWorld.Erin, running));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() =>
            world.Requests.CancelAsync(new Actor("mallory", "Mallory", new HashSet<string> { Roles.Requester }), run.Id, "not mine"));

        var outcome = await world.Requests.CancelAsync(RotationWorld.Alice, run.Id, "the application team asked to wait");

        Assert.Equal(RunState.Running, outcome);
        var requested = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Running, requested.State);
        Assert.Equal("alice", requested.CancelRequestedBy);
        Assert.Equal("Alice Requester", requested.CancelRequestedByName);
        Assert.NotNull(requested.CancelRequestedAt);
        Assert.Equal("the application team asked to wait", requested.CancelReason);
        Assert.Equal(StepState.Running, requested.Steps[VerifyNewKey].State);
        Assert.False(world.Requests.MayCancel(RotationWorld.Bob, requested));
        var again = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.CancelAsync(RotationWorld.Bob, run.Id, "me too"));
        Assert.Contains("Alice Requester already asked to cancel", again.Message);

        pause.Release();
        var cancelled = await driving.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal(StepState.Succeeded, cancelled.Steps[VerifyNewKey].State);
        Assert.All(cancelled.Steps.Where(s => s.Index > VerifyNewKey), s => Assert.Equal(StepState.Skipped, s.State));
        var newKey = Assert.Single(await world.KeysTaggedWithAsync(run.Id));
        Assert.Equal(newKey, cancelled.NewKeyId);
        Assert.Contains("Cancelled by Alice Requester before step 5 \"Replicate the new key into the old key's Regions\": the application team asked to wait", cancelled.Error);
        Assert.Contains("Create the new key", cancelled.Error);
        Assert.Contains($"The new key {newKey} this run created stays", cancelled.Error);
        Assert.Equal(oldKey, (await world.DescribeAsync(alias)).KeyId);
        Assert.Equal(KeyState.Enabled, (await world.DescribeAsync(oldKey)).KeyState);
        Assert.Equal(KeyState.Enabled, (await world.DescribeAsync(newKey)).KeyState);
        Assert.Null(cancelled.LeaseOwner);
        Assert.Null(cancelled.ActiveKeyLock);
        Assert.Null(cancelled.ActiveAliasLock);

        var actions = await ActionsAsync(world, run.Id);
        var requestedAt = actions.IndexOf("run.cancel-requested");
        Assert.True(requestedAt > 0, string.Join(", ", actions));
        Assert.Equal(new[] { "run.cancel-requested", "step.succeeded", "run.cancelled" }, actions.Skip(requestedAt));
        Assert.Equal(VerifyNewKey + 1, actions.Count(a => a == "step.succeeded"));
        var trail = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "run.cancelled" }, 0, 10);
        Assert.Contains("before step 5", Assert.Single(trail.Items).Details);
        Assert.True((await world.Audit.VerifyAsync(RotationWorld.Erin)).Intact);

        var next = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey);
        Assert.Equal(RunState.AwaitingApproval, next.State);
    }

    [Fact]
    public async Task A_run_past_its_last_gate_refuses_cancel_and_finishes()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKey, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, DisableOldKeyAfterwards);
        var pause = new StepPause(DisableOldKey);
        var driving = Task.Run(() => world.DriveAsync(run.Id, world.NewOrchestrator(pause)));
        await pause.Entered.WaitAsync(TimeSpan.FromMinutes(1));

        var running = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Running, running.State);
        Assert.False(world.Requests.MayCancel(RotationWorld.Alice, running));
        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.CancelAsync(RotationWorld.Alice, run.Id, "too late?"));
        Assert.Contains("has passed its last approval gate", refused.Message);
        Assert.Null((await world.Runs.GetAsync(run.Id))!.CancelRequestedAt);

        pause.Release();
        var finished = await driving.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(oldKey)).KeyState);
        var actions = await ActionsAsync(world, run.Id);
        Assert.DoesNotContain("run.cancel-requested", actions);
        Assert.DoesNotContain("run.cancelled", actions);
    }

    [Fact]
    public async Task A_cancel_requested_while_the_run_enters_its_last_gate_ends_it_there_instead_of_waiting()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKey, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, DisableOldKeyAfterwards);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        var pause = new StepPause(FateGate);
        var driving = Task.Run(() => world.DriveAsync(run.Id, world.NewOrchestrator(pause), approveGates: false));
        await pause.Entered.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(RunState.Running, await world.Requests.CancelAsync(RotationWorld.Bob, run.Id, "keep the old key enabled"));
        pause.Release();
        var cancelled = await driving.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal(StepState.Skipped, cancelled.Steps[FateGate].State);
        Assert.Contains("Cancelled by Bob Approver before step 10 \"Approval of the old key's fate\"", cancelled.Error);
        Assert.Contains("Point the alias at the new key", cancelled.Error);
        Assert.Equal(cancelled.NewKeyId, (await world.DescribeAsync(alias)).KeyId);
        Assert.Equal(KeyState.Enabled, (await world.DescribeAsync(oldKey)).KeyState);
        Assert.Null(cancelled.ActiveAliasLock);
        var actions = await ActionsAsync(world, run.Id);
        Assert.DoesNotContain("run.awaiting-approval", actions.SkipWhile(a => a != "run.cancel-requested"));
        Assert.Equal("run.cancelled", actions[^1]);
    }

    [Fact]
    public async Task A_run_cancelled_while_a_step_runs_and_that_step_fails_ends_failed_and_resuming_it_withdraws_the_cancel()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKey, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, DisableOldKeyAfterwards);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        var pause = new StepPause(EncryptSample);
        var driving = Task.Run(() => world.DriveAsync(run.Id, world.NewOrchestrator(pause), approveGates: false));
        await pause.Entered.WaitAsync(TimeSpan.FromMinutes(1));

        await world.Requests.CancelAsync(RotationWorld.Alice, run.Id, "wrong key");
        await world.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = oldKey });
        pause.Release();
        var failed = await driving.WaitAsync(TimeSpan.FromMinutes(1));

        // The step's own failure is what ended the run; it is reported as such, and can still be resumed or left.
        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal("DisabledException", failed.Steps[EncryptSample].ErrorCode);
        Assert.Null(failed.ActiveKeyLock);
        Assert.Equal("alice", failed.CancelRequestedBy);

        await world.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = oldKey });
        await world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, "right key after all");
        Assert.Null((await world.Runs.GetAsync(run.Id))!.CancelRequestedAt);
        var finished = await world.DriveAsync(run.Id);
        Assert.Equal(RunState.Succeeded, finished.State);
        var resumed = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "run.resumed" }, 0, 10);
        Assert.Contains("the cancel Alice Requester had asked for before it failed is withdrawn", Assert.Single(resumed.Items).Details);
    }
}
