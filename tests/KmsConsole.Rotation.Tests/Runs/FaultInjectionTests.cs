using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Tests.Runs;

/// <summary>With the local endpoint throttling or failing a share of requests, runs still finish and nothing is duplicated.</summary>
public sealed class FaultInjectionTests
{
    [Theory]
    [InlineData(0.3, 0.0)]
    [InlineData(0.0, 0.25)]
    [InlineData(0.2, 0.15)]
    public async Task Alias_swaps_finish_with_one_new_key_each_while_kms_throttles_and_fails(double throttling, double internalErrors)
    {
        // A write step's attempt fails with about a third's chance here; twelve attempts make a step's failure
        // (about 1 in a million) rare enough that a red result means a real fault in the retries.
        await using var world = await RotationWorld.StartAsync(configure: o => o.Orchestrator.MaxAttempts = 12);
        var (oldAwsKey, awsAlias) = await world.NewAwsKeyAsync();
        var (oldImportedKey, importedAlias) = await world.NewImportedKeyAsync();
        var swap = await world.SubmitAsync(awsAlias, WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.ScheduleDeletion, PendingWindowInDays = 7 });
        var importedSwap = await world.SubmitAsync(importedAlias, WorkflowKind.AliasSwapImportedKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable });
        var rotation = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotateNow = true });

        world.Server.Faults.ThrottlingShare = throttling;
        world.Server.Faults.InternalErrorShare = internalErrors;
        var orchestrator = world.NewOrchestrator();
        var finished = new List<Run>();
        foreach (var id in new[] { swap.Id, importedSwap.Id, rotation.Id })
        {
            finished.Add(await world.DriveAsync(id, orchestrator));
        }

        world.Server.Faults.ThrottlingShare = 0;
        world.Server.Faults.InternalErrorShare = 0;
        Assert.All(finished, r => Assert.True(r.State == RunState.Succeeded,
            $"{r.Workflow}: {r.State} {r.Error} ({string.Join("; ", r.Steps.Where(s => s.State == StepState.Failed).Select(s => $"{s.Name} after {s.Attempts} attempts"))})"));
        Assert.Contains(finished.SelectMany(r => r.Steps), s => s.Attempts > 1);

        var newAwsKey = Assert.Single(await world.KeysTaggedWithAsync(swap.Id));
        var newImportedKey = Assert.Single(await world.KeysTaggedWithAsync(importedSwap.Id));
        Assert.Equal(newAwsKey, (await world.DescribeAsync(awsAlias)).KeyId);
        Assert.Equal(newImportedKey, (await world.DescribeAsync(importedAlias)).KeyId);
        Assert.Equal(KeyState.PendingDeletion, (await world.DescribeAsync(oldAwsKey)).KeyState);
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(oldImportedKey)).KeyState);
        var rotations = await world.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = (await world.DescribeAsync("alias/FirstCMK")).KeyId });
        Assert.Single(rotations.Rotations, r => r.RotationType == RotationType.ON_DEMAND);
        // 2 seeded + escrow key + 2 made by the test + 2 made by the runs: no duplicates.
        Assert.Equal(7, (await world.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Count);
    }

    [Fact]
    public async Task When_throttling_outlasts_the_retry_limit_the_step_fails_with_the_throttling_error()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Orchestrator.MaxAttempts = 2);
        var run = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);

        world.Server.Faults.ThrottlingShare = 1.0;
        var finished = await world.DriveAsync(run.Id);
        world.Server.Faults.ThrottlingShare = 0;

        Assert.Equal(RunState.Failed, finished.State);
        var failed = Assert.Single(finished.Steps, s => s.State == StepState.Failed);
        Assert.Equal("ThrottlingException", failed.ErrorCode);
        Assert.Equal(2, failed.Attempts);
    }
}
