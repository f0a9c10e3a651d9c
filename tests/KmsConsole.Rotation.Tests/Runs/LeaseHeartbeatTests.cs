using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Tests.Runs;

/// <summary>
/// A step that takes longer than the lease (a slow KMS) keeps its run's lease, renewed while it runs, so no other console
/// instance can claim the run and run the same step at the same time; and an orchestrator whose lease was taken from it
/// stops the step it is in and records nothing of it.
/// </summary>
public sealed class LeaseHeartbeatTests
{
    private const int EnableRotationStep = 1;

    private static async Task<Run> WaitForAsync(RotationWorld world, Guid runId, Func<Run, bool> condition, string what)
    {
        for (var guard = 0; guard < 600; guard++)
        {
            var run = (await world.Runs.GetAsync(runId))!;
            if (condition(run))
            {
                return run;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {runId}: {what} never happened.");
    }

    [Fact]
    public async Task A_step_slower_than_the_lease_keeps_it_and_a_second_instance_cannot_claim_the_run_meanwhile()
    {
        var lease = TimeSpan.FromSeconds(3);
        await using var world = await RotationWorld.StartAsync(configure: o => o.Orchestrator.LeaseDuration = lease);
        var (keyId, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);

        // Every KMS call of the step waits longer than the whole lease.
        var slow = new StepPause(EnableRotationStep, hold: false,
            onEnter: () => { world.Server.Faults.Delay = lease + TimeSpan.FromSeconds(1); world.Server.Faults.DelayShare = 1.0; },
            onExit: () => world.Server.Faults.DelayShare = 0);
        var first = world.NewOrchestrator(slow, instanceId: "console-a");
        var second = world.NewOrchestrator(instanceId: "console-b");
        var driving = Task.Run(() => world.DriveAsync(run.Id, first));

        await slow.Entered.WaitAsync(TimeSpan.FromMinutes(1));
        var claims = 0;
        var attempts = 0;
        while (!driving.IsCompleted)
        {
            attempts++;
            if (await second.TryClaimAsync(run.Id, CancellationToken.None))
            {
                claims++;
            }

            await Task.Delay(100);
        }

        world.Server.Faults.DelayShare = 0;
        var finished = await driving;

        Assert.Equal(RunState.Succeeded, finished.State);
        var step = finished.Steps[EnableRotationStep];
        Assert.True(step.FinishedAt - step.StartedAt > lease, $"The step took {step.FinishedAt - step.StartedAt}, not longer than the {lease} lease.");
        Assert.True(attempts > 10, $"The second instance tried to claim the run only {attempts} times while the step ran.");
        Assert.Equal(0, claims);
        Assert.All(finished.Steps, s => Assert.Equal(1, s.Attempts));
        var succeeded = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "step.succeeded" }, 0, 100);
        Assert.Equal(finished.Steps.Count, succeeded.TotalCount);
        Assert.True((await world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);
    }

    [Fact]
    public async Task An_orchestrator_that_lost_the_lease_stops_the_step_and_records_nothing_and_the_new_owner_finishes_the_run()
    {
        var clock = new ShiftableClock();
        var lease = TimeSpan.FromSeconds(3);
        await using var world = await RotationWorld.StartAsync(clock, o => o.Orchestrator.LeaseDuration = lease);
        var (keyId, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);

        // The step's KMS calls hang (well within the SDK's timeout) until the orchestrator gives up on them.
        var slow = new StepPause(EnableRotationStep, hold: false,
            onEnter: () => { world.Server.Faults.Delay = TimeSpan.FromSeconds(20); world.Server.Faults.DelayShare = 1.0; });
        var first = world.NewOrchestrator(slow, instanceId: "console-a");
        var pass = Task.Run(() => first.ProcessOnceAsync(CancellationToken.None));
        await slow.Entered.WaitAsync(TimeSpan.FromMinutes(1));
        await WaitForAsync(world, run.Id, r => r.Steps[EnableRotationStep].State == StepState.Running, "the step running");

        // Another owner is forced into the row, as if this instance had stalled and another had taken the run over.
        var until = clock.GetUtcNow().AddHours(1).UtcTicks;
        Assert.Equal(1, await world.ExecuteSqlAsync(
            $"UPDATE Runs SET LeaseOwner = 'console-intruder', LeaseUntil = {until} WHERE upper(Id) = upper('{run.Id}')"));

        // If the step were not stopped, the pass would end only after its delayed calls went through, rotation enabled.
        await pass.WaitAsync(TimeSpan.FromMinutes(2));
        world.Server.Faults.DelayShare = 0;

        Assert.False((await world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);
        var abandoned = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal("console-intruder", abandoned.LeaseOwner);
        Assert.Equal(RunState.Running, abandoned.State);
        Assert.Equal(StepState.Running, abandoned.Steps[EnableRotationStep].State);
        Assert.Null(abandoned.Steps[EnableRotationStep].ErrorCode);
        var actions = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id }, 0, 100)).Items.Select(e => e.Action).ToList();
        Assert.Single(actions, a => a == "step.succeeded");
        Assert.DoesNotContain("run.failed", actions);
        Assert.Contains("console-a lost the lease of run", world.Logs.AllText);

        // Once the other owner's lease runs out, any instance finishes the run from that step.
        clock.Advance(TimeSpan.FromHours(1) + lease);
        var finished = await world.DriveAsync(run.Id, world.NewOrchestrator(instanceId: "console-c"));
        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.True((await world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);
    }

    [Fact]
    public async Task A_lost_lease_cancels_the_token_the_step_holds()
    {
        var lease = TimeSpan.FromSeconds(3);
        await using var world = await RotationWorld.StartAsync(configure: o => o.Orchestrator.LeaseDuration = lease);
        var run = await world.SubmitAsync((await world.NewAwsKeyAsync()).Alias, WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        var held = new StepPause(EnableRotationStep);
        var pass = Task.Run(() => world.NewOrchestrator(held, instanceId: "console-a").ProcessOnceAsync(CancellationToken.None));
        await held.Entered.WaitAsync(TimeSpan.FromMinutes(1));

        // The run is cancelled out from under the orchestrator by a direct change of its row: its lease ends with it.
        Assert.Equal(1, await world.ExecuteSqlAsync($"UPDATE Runs SET State = 'Failed', LeaseOwner = NULL, LeaseUntil = NULL WHERE upper(Id) = upper('{run.Id}')"));

        Assert.True(await held.StepCancelled.WaitAsync(TimeSpan.FromMinutes(1)));
        await pass.WaitAsync(TimeSpan.FromMinutes(1));
        var after = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Failed, after.State);
        Assert.Equal(StepState.Running, after.Steps[EnableRotationStep].State);
        var succeeded = await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "step.succeeded" }, 0, 100);
        Assert.Equal(1, succeeded.TotalCount);
    }
}
