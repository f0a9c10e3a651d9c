using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Microsoft.Extensions.Time.Testing;

namespace KmsConsole.Rotation.Tests.Approvals;

public sealed class ApprovalTests
{
    [Fact]
    public async Task Self_approval_is_refused()
    {
        await using var world = await RotationWorld.StartAsync();
        var (_, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation, requester: RotationWorld.Dave);

        var refused = await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Requests.ApproveAsync(RotationWorld.Dave, run.Id, "mine"));

        Assert.Contains("someone else must approve", refused.Message);
        var stored = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.AwaitingApproval, stored.State);
        Assert.Empty(stored.Approvals);
    }

    [Fact]
    public async Task A_second_approval_by_the_same_approver_does_not_count_towards_two_required()
    {
        await using var world = await RotationWorld.StartAsync(configure: o =>
            o.Approvals[WorkflowKind.EnableAutomaticRotation] = new ApprovalPolicy { RequiredApprovals = 2 });
        var (_, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation);

        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "again"));
        Assert.Equal(RunState.AwaitingApproval, (await world.Runs.GetAsync(run.Id))!.State);
        Assert.Single(await world.Runs.AwaitingApprovalByAsync(RotationWorld.Carol));
        Assert.Empty(await world.Runs.AwaitingApprovalByAsync(RotationWorld.Bob));

        await world.Requests.ApproveAsync(RotationWorld.Carol, run.Id, null);
        Assert.Equal(RunState.Queued, (await world.Runs.GetAsync(run.Id))!.State);
        Assert.Equal(RunState.Succeeded, (await world.DriveAsync(run.Id, approveGates: false)).State);
    }

    [Fact]
    public async Task Someone_without_the_approver_role_cannot_approve()
    {
        await using var world = await RotationWorld.StartAsync();
        var (_, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation);

        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Requests.ApproveAsync(RotationWorld.Victor, run.Id, null));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, requester: RotationWorld.Bob));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Audit.VerifyAsync(RotationWorld.Alice));
    }

    [Fact]
    public async Task An_approval_that_expired_before_the_run_started_must_be_given_again()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var world = await RotationWorld.StartAsync(clock);
        var (keyId, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);

        // The orchestrator was down for a day: by the time it picks the run up, Bob's approval has expired.
        clock.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1));
        var waiting = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.AwaitingApproval, waiting.State);
        Assert.Equal(StepState.AwaitingApproval, waiting.Steps[0].State);
        Assert.Contains("expired", waiting.Steps[0].Output);
        Assert.False((await world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);

        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "approved again");
        var finished = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.True((await world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);
        Assert.Equal(2, finished.Approvals.Count);
    }

    [Fact]
    public async Task Rejection_ends_the_run_with_the_reason_and_frees_the_key()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey);

        await world.Requests.RejectAsync(RotationWorld.Bob, run.Id, "not during the freeze");
        var rejected = (await world.Runs.GetAsync(run.Id))!;

        Assert.Equal(RunState.Rejected, rejected.State);
        Assert.Contains("not during the freeze", rejected.Error);
        Assert.Equal(ApprovalDecision.Rejected, Assert.Single(rejected.Approvals).Decision);
        Assert.Equal(0, await world.NewOrchestrator().ProcessOnceAsync(CancellationToken.None));
        Assert.Empty(await world.KeysTaggedWithAsync(run.Id));
        Assert.Equal(keyId, (await world.DescribeAsync(alias)).KeyId);
        await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ApproveAsync(RotationWorld.Carol, run.Id, null));
        Assert.True((await world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, alias, WorkflowKind.AliasSwapNewKey, new(), "again"))).Allowed);
    }

    [Fact]
    public async Task Cancel_before_the_first_gate_ends_the_run_and_nothing_happens_in_kms()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey);

        await world.Requests.CancelAsync(RotationWorld.Alice, run.Id, "wrong key");
        var cancelled = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.All(cancelled.Steps, s => Assert.Equal(StepState.Skipped, s.State));
        Assert.Empty(await world.KeysTaggedWithAsync(run.Id));
        Assert.Equal(keyId, (await world.DescribeAsync(alias)).KeyId);
    }

    [Fact]
    public async Task Cancel_at_the_old_key_fate_gate_keeps_the_old_key_and_after_the_last_gate_is_refused()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKey, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.ScheduleDeletion, PendingWindowInDays = 7 });
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        var atFate = await world.DriveAsync(run.Id, approveGates: false);
        Assert.Equal("Approval of the old key's fate", atFate.Steps[atFate.CurrentStepIndex].Name);

        await world.Requests.CancelAsync(RotationWorld.Bob, run.Id, "keep the old key a while");

        var cancelled = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.Equal(KeyState.Enabled, (await world.DescribeAsync(oldKey)).KeyState);
        Assert.Equal(cancelled.NewKeyId, (await world.DescribeAsync(alias)).KeyId);

        var other = await world.SubmitAsync((await world.NewAwsKeyAsync()).Alias, WorkflowKind.EnableAutomaticRotation);
        var done = await world.DriveAsync(other.Id);
        var late = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.CancelAsync(RotationWorld.Alice, done.Id, "too late"));
        Assert.Contains("already ended", late.Message);
    }

    [Fact]
    public async Task Only_the_requester_or_an_approver_may_cancel()
    {
        await using var world = await RotationWorld.StartAsync();
        var run = await world.SubmitAsync((await world.NewAwsKeyAsync()).Alias, WorkflowKind.EnableAutomaticRotation);
        var stranger = new Actor("mallory", "Mallory", new HashSet<string> { Roles.Requester });

        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Requests.CancelAsync(stranger, run.Id, "no"));
        Assert.Equal(RunState.AwaitingApproval, (await world.Runs.GetAsync(run.Id))!.State);
    }
}
