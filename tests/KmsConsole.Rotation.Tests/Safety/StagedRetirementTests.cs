using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Safety;

namespace KmsConsole.Rotation.Tests.Safety;

public sealed class StagedRetirementTests
{
    private static RotationParameters Staged => new() { OldKeyFate = OldKeyFate.StagedRetirement, PendingWindowInDays = 7 };

    /// <summary>Moves the console's clock and the local KMS's clock together, as a day passing would.</summary>
    private static void PassDays(RotationWorld world, ShiftableClock clock, double days)
    {
        clock.Advance(TimeSpan.FromDays(days));
        world.Server.Clock.Advance(TimeSpan.FromDays(days));
    }

    private static async Task<(Run Run, string OldKeyId, RunOrchestrator Orchestrator)> WatchingAsync(RotationWorld world)
    {
        var (oldKeyId, alias) = await world.NewAwsKeyAsync("retire");
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, Staged);
        var orchestrator = world.NewOrchestrator();
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "go");
        await orchestrator.DrainAsync(CancellationToken.None);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "retire it in stages");
        await orchestrator.DrainAsync(CancellationToken.None);
        var watching = (await world.Runs.GetAsync(run.Id))!;
        Assert.True(world.Get<RetirementWatch>().IsWatching(watching), $"{watching.State} at {watching.CurrentStep?.Name}: {watching.Error}");
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(oldKeyId)).KeyState);
        return (watching, oldKeyId, orchestrator);
    }

    [Fact]
    public async Task A_staged_retirement_disables_the_old_key_watches_it_daily_for_14_days_then_schedules_its_deletion_at_its_own_gate()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var (run, oldKeyId, orchestrator) = await WatchingAsync(world);
        var watch = world.Get<RetirementWatch>();
        Assert.Equal(0, await watch.CheckDueAsync());

        for (var day = 1; day <= 13; day++)
        {
            PassDays(world, clock, 1);
            Assert.Equal(1, await watch.CheckDueAsync());
            await orchestrator.DrainAsync(CancellationToken.None);
            var still = (await world.Runs.GetAsync(run.Id))!;
            Assert.True(watch.IsWatching(still), $"day {day}: {still.State} {still.Error}");
            Assert.Contains("Watching the disabled key", still.CurrentStep!.Output, StringComparison.Ordinal);
        }

        PassDays(world, clock, 1);
        Assert.Equal(1, await watch.CheckDueAsync());
        await orchestrator.DrainAsync(CancellationToken.None);
        var atDeletionGate = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.AwaitingApproval, atDeletionGate.State);
        Assert.Equal("Approval of the old key's deletion", atDeletionGate.CurrentStep!.Name);
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(oldKeyId)).KeyState);
        var watched = Assert.Single(atDeletionGate.Steps, s => s.Name == "Watch the disabled old key");
        Assert.StartsWith($"Watched {oldKeyId} from ", watched.Output, StringComparison.Ordinal);

        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "nobody used it for two weeks");
        await orchestrator.DrainAsync(CancellationToken.None);

        var done = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Succeeded, done.State);
        var old = await world.DescribeAsync(oldKeyId);
        Assert.Equal(KeyState.PendingDeletion, old.KeyState);
        Assert.Equal(world.Server.Clock.GetUtcNow().AddDays(7).UtcDateTime, old.DeletionDate!.Value, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task The_watch_is_not_a_decision_so_no_approver_is_asked_to_approve_or_reject_it_until_the_deletion_gate()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var (run, _, orchestrator) = await WatchingAsync(world);

        Assert.True(run.IsStepWaitingOnItsOwn);
        Assert.Null(run.GateAwaitingDecision());
        Assert.False(world.Requests.MayDecide(RotationWorld.Carol, run));
        Assert.DoesNotContain(await world.Runs.AwaitingApprovalByAsync(RotationWorld.Carol), r => r.Id == run.Id);
        var approve = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ApproveAsync(RotationWorld.Carol, run.Id, "looks fine"));
        Assert.Contains("\"Watch the disabled old key\", which waits on its own and is not an approval gate", approve.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.RejectAsync(RotationWorld.Carol, run.Id, "no"));
        Assert.True(world.Get<RetirementWatch>().IsWatching((await world.Runs.GetAsync(run.Id))!));

        PassDays(world, clock, world.Options.Safety.RetirementWatchDays);
        await world.Get<RetirementWatch>().CheckDueAsync();
        await orchestrator.DrainAsync(CancellationToken.None);
        var atDeletionGate = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal("Approval of the old key's deletion", atDeletionGate.CurrentStep!.Name);
        Assert.False(atDeletionGate.IsStepWaitingOnItsOwn);
        Assert.True(world.Requests.MayDecide(RotationWorld.Carol, atDeletionGate));
        Assert.Contains(await world.Runs.AwaitingApprovalByAsync(RotationWorld.Carol), r => r.Id == run.Id);
    }

    [Fact]
    public async Task A_use_refused_with_DisabledException_is_not_a_use_KMS_records_so_the_watch_cannot_see_it_and_goes_on()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var (run, oldKeyId, orchestrator) = await WatchingAsync(world);
        var before = await world.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = oldKeyId });

        // GetKeyLastUsage reports the last successful cryptographic operation only; a refused call is in CloudTrail alone.
        PassDays(world, clock, 1);
        var oldArn = (await world.DescribeAsync(oldKeyId)).Arn;
        await Assert.ThrowsAsync<DisabledException>(() => world.EncryptAsync(oldArn, "the forgotten job"));
        var after = await world.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = oldKeyId });
        Assert.Equal(before.KeyLastUsage?.KmsRequestId, after.KeyLastUsage?.KmsRequestId);
        Assert.Equal(before.KeyLastUsage?.Timestamp, after.KeyLastUsage?.Timestamp);

        Assert.Equal(1, await world.Get<RetirementWatch>().CheckDueAsync());
        await orchestrator.DrainAsync(CancellationToken.None);
        var still = (await world.Runs.GetAsync(run.Id))!;
        Assert.True(world.Get<RetirementWatch>().IsWatching(still), $"{still.State}: {still.Error}");
    }

    [Fact]
    public async Task A_key_used_during_its_watch_stops_the_retirement_before_its_deletion_and_the_approvers_are_told()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var (run, oldKeyId, orchestrator) = await WatchingAsync(world);
        PassDays(world, clock, 3);
        // The team that still needed it enabled it again behind the console's back and used it by its ARN.
        await world.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = oldKeyId });
        await world.EncryptAsync((await world.DescribeAsync(oldKeyId)).Arn, "nightly batch");

        PassDays(world, clock, 1);
        await world.Get<RetirementWatch>().CheckDueAsync();
        await orchestrator.DrainAsync(CancellationToken.None);

        var stopped = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Failed, stopped.State);
        Assert.Contains($"The old key {oldKeyId} was used during its watch (Encrypt at ", stopped.Error, StringComparison.Ordinal);
        Assert.Contains("its deletion is not scheduled", stopped.Error, StringComparison.Ordinal);
        Assert.Equal(KeyState.Enabled, (await world.DescribeAsync(oldKeyId)).KeyState);
        var failed = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "run.failed" }, 0, 10)).Items;
        Assert.Single(failed);
    }

    [Fact]
    public async Task An_approver_re_enables_the_watched_key_in_one_audited_action_and_the_retirement_stops()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var (run, oldKeyId, orchestrator) = await WatchingAsync(world);
        var watch = world.Get<RetirementWatch>();
        Assert.False(watch.MayReEnable(RotationWorld.Alice, run));
        Assert.True(watch.MayReEnable(RotationWorld.Bob, run));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => watch.ReEnableAsync(RotationWorld.Alice, run.Id, "mine"));
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(oldKeyId)).KeyState);

        await watch.ReEnableAsync(RotationWorld.Bob, run.Id, "the billing export still decrypts with it (DisabledException in CloudTrail)");
        await orchestrator.DrainAsync(CancellationToken.None);

        Assert.Equal(KeyState.Enabled, (await world.DescribeAsync(oldKeyId)).KeyState);
        var stopped = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Failed, stopped.State);
        Assert.Contains("it was enabled again during its watch", stopped.Error, StringComparison.Ordinal);
        var audited = Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "key.re-enabled" }, 0, 10)).Items);
        Assert.Equal("bob", audited.Actor);
        Assert.Contains("the billing export still decrypts with it", audited.Details, StringComparison.Ordinal);
    }
}
