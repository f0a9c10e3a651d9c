using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Tests.Runs;

/// <summary>Leases change hands at once when an instance restarts or stops, instead of after they run out.</summary>
public sealed class LeaseHandOverTests
{
    [Fact]
    public async Task An_instance_restarting_with_the_same_instance_id_takes_its_half_done_run_back_at_once()
    {
        await using var world = await RotationWorld.StartAsync();
        var (_, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => world.DriveAsync(run.Id, world.NewOrchestrator(new CrashInStep(2), "node-1")));
        var crashed = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal("node-1", crashed.LeaseOwner);
        Assert.True(crashed.LeaseUntil > world.Time.GetUtcNow());

        // Another instance waits for the lease to run out; the same instance, restarted, does not.
        Assert.Equal(0, await world.NewOrchestrator(instanceId: "node-2").ProcessOnceAsync(CancellationToken.None));
        var finished = await world.DriveAsync(run.Id, world.NewOrchestrator(instanceId: "node-1"));

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(finished.NewKeyId, Assert.Single(await world.KeysTaggedWithAsync(run.Id)));
    }

    [Fact]
    public async Task An_instance_stopping_mid_step_cancels_the_step_hands_its_lease_back_and_another_instance_finishes_the_run()
    {
        var pause = new StepPause(stepIndex: 2);
        await using var world = await RotationWorld.StartAsync(
            configure: o => o.Orchestrator.InstanceId = "node-1",
            services: (s, _) => s.AddSingleton<RunEngineHooks>(pause));
        var (_, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey);
        await world.ApproveCurrentGateAsync((await world.Runs.GetAsync(run.Id))!);
        var service = new OrchestratorService(world.Get<RotationStore>(), world.Get<IWorkflowCatalog>(), world.Get<IStepErrorPolicy>(), world.Get<RunChangeFeed>(),
            world.Get<IOptions<RotationOptions>>(), world.Get<ILoggerFactory>(), pause, world.Get<OrchestratorLiveness>());

        await service.StartAsync(CancellationToken.None);
        await pause.Entered.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("node-1", (await world.Runs.GetAsync(run.Id))!.LeaseOwner);
        using var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await service.StopAsync(shutdown.Token);

        Assert.False(shutdown.IsCancellationRequested, "the orchestrator did not stop within the host's 10 s shutdown timeout");
        Assert.True(await pause.StepCancelled.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(world.Get<OrchestratorLiveness>().Running);
        var handedBack = (await world.Runs.GetAsync(run.Id))!;
        Assert.Null(handedBack.LeaseOwner);
        Assert.Equal(RunState.Running, handedBack.State);

        pause.Release();
        var finished = await world.DriveAsync(run.Id, world.NewOrchestrator(instanceId: "node-2"));
        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(finished.NewKeyId, Assert.Single(await world.KeysTaggedWithAsync(run.Id)));
    }

    private sealed class CrashInStep(int stepIndex) : RunEngineHooks
    {
        public override Task WhileStepRunsAsync(Run run, int index, CancellationToken stepToken) =>
            index == stepIndex ? throw new SimulatedCrashException($"crash in step {index}") : Task.CompletedTask;
    }
}
