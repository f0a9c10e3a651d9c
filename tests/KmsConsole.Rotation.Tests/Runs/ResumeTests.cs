using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Iam;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Runs;

/// <summary>
/// A run that failed for a reason that is not transient (KMS refused a call, a key changed state) is continued from its
/// failed step once the cause is gone, after the preflight passes again; nothing it already did is repeated.
/// </summary>
public sealed class ResumeTests
{
    private const string Role = IamSeed.RoleName;
    private static readonly Actor Rachel = new("rachel", "Rachel Requester", new HashSet<string> { Roles.Requester });

    // What an alias swap needs beyond the workshop role: the swap itself, and the hazard check's reads and the grant copy.
    private const string AllowUpdateAlias =
        """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:UpdateAlias","kms:GetKeyLastUsage","kms:ListGrants","kms:CreateGrant"],"Resource":"*"}]}""";
    private const string FreezeAllAliases = """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:UpdateAlias","Resource":"*"}]}""";
    private const string FreezePaymentAliases =
        """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:UpdateAlias","Resource":"arn:aws:kms:us-east-1:111122223333:alias/payments-*"}]}""";

    private static async Task<List<string>> RunAuditAsync(RotationWorld world, Guid runId) =>
        (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = runId }, 0, 200)).Items
            .OrderBy(e => e.Sequence).Select(e => e.Action).ToList();

    /// <summary>Enable automatic rotation on a fresh key, approved, then failed because someone disabled the key before the orchestrator ran it.</summary>
    private static async Task<(Run Run, string KeyId)> FailedBecauseDisabledAsync(RotationWorld world)
    {
        var (keyId, alias) = await world.NewAwsKeyAsync();
        var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "fine");
        await world.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });

        var failed = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Failed, failed.State);
        var step = Assert.Single(failed.Steps, s => s.State == StepState.Failed);
        Assert.Equal("Enable automatic rotation", step.Name);
        Assert.Equal("DisabledException", step.ErrorCode);
        return (failed, keyId);
    }

    [Fact]
    public async Task An_alias_swap_denied_UpdateAlias_mid_run_resumes_after_the_permission_is_restored_with_the_one_key_it_created()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Targets[0].AccessKeyId = Role);
        world.Server.Services.GetRequiredService<LocalIamOptions>().EnforceKmsPermissions = true;
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        await iam.PutRolePolicyAsync(Role, "RotateAliases", AllowUpdateAlias);
        var oldKey = (await world.DescribeAsync("alias/FirstCMK")).KeyId;

        var run = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "workshop rotation");
        // A change freeze lands between the approval and the orchestrator reaching the swap.
        await iam.PutRolePolicyAsync(Role, "FreezeAliases", FreezeAllAliases);
        var failed = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Failed, failed.State);
        var swap = Assert.Single(failed.Steps, s => s.State == StepState.Failed);
        Assert.Equal("Point the alias at the new key", swap.Name);
        Assert.Equal("AccessDeniedException", swap.ErrorCode);
        Assert.Contains("kms:UpdateAlias", swap.ErrorMessage, StringComparison.Ordinal);
        var newKey = Assert.Single(await world.KeysTaggedWithAsync(run.Id));
        Assert.Equal(newKey, failed.NewKeyId);
        Assert.Equal(oldKey, (await world.DescribeAsync("alias/FirstCMK")).KeyId);
        var keysAfterFailure = await world.KeyCountAsync();

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() =>
            world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, "the freeze should be over"));
        Assert.Contains("kms:UpdateAlias", refused.Message, StringComparison.Ordinal);
        Assert.Contains("explicitly denied by FreezeAliases", refused.Message, StringComparison.Ordinal);
        var stillFailed = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Failed, stillFailed.State);
        Assert.Null(stillFailed.ActiveAliasLock);
        Assert.DoesNotContain("run.resumed", await RunAuditAsync(world, run.Id));

        await iam.PutRolePolicyAsync(Role, "FreezeAliases", FreezePaymentAliases);
        var resumedAs = await world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, "freeze lifted for FirstCMK");

        Assert.Equal(RunState.Queued, resumedAs);
        var queued = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Queued, queued.State);
        Assert.Null(queued.Error);
        Assert.NotNull(queued.ActiveAliasLock);
        var pending = queued.Steps.Single(s => s.Index == swap.Index);
        Assert.Equal(StepState.Pending, pending.State);
        Assert.Equal(1, pending.Attempts);

        var finished = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(newKey, finished.NewKeyId);
        Assert.Equal(newKey, (await world.DescribeAsync("alias/FirstCMK")).KeyId);
        Assert.Equal(newKey, Assert.Single(await world.KeysTaggedWithAsync(run.Id)));
        Assert.Equal(keysAfterFailure, await world.KeyCountAsync());
        Assert.Equal(2, finished.Steps.Single(s => s.Index == swap.Index).Attempts);
        Assert.Null(finished.ActiveAliasLock);

        var actions = await RunAuditAsync(world, run.Id);
        var created = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "step.succeeded" }, 0, 100)).Items
            .Where(e => e.Details.StartsWith("Create the new key", StringComparison.Ordinal));
        Assert.Contains(newKey, Assert.Single(created).Details, StringComparison.Ordinal);
        Assert.Equal(["run.requested", "run.approved", "run.failed", "run.resumed", "run.succeeded"],
            actions.Where(a => a.StartsWith("run.", StringComparison.Ordinal)));
        var resumed = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "run.resumed" }, 0, 10)).Items.Single();
        Assert.Equal("alice", resumed.Actor);
        Assert.Contains("freeze lifted for FirstCMK", resumed.Details, StringComparison.Ordinal);
        Assert.Contains("AccessDeniedException", resumed.Details, StringComparison.Ordinal);
        Assert.True((await world.Audit.VerifyAsync(RotationWorld.Erin)).Intact);
    }

    [Fact]
    public async Task A_swap_that_failed_after_moving_the_alias_resumes_at_the_old_keys_fate_checked_against_the_old_key()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Targets[0].AccessKeyId = Role);
        world.Server.Services.GetRequiredService<LocalIamOptions>().EnforceKmsPermissions = true;
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        await iam.PutRolePolicyAsync(Role, "RotateAliases",
            """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:UpdateAlias","kms:DisableKey","kms:GetKeyLastUsage","kms:ListGrants","kms:CreateGrant"],"Resource":"*"}]}""");
        var oldKey = (await world.DescribeAsync("alias/FirstCMK")).KeyId;
        var run = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable });
        await iam.PutRolePolicyAsync(Role, "KeepKeysOn", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:DisableKey","Resource":"*"}]}""");

        var failed = await world.DriveAsync(run.Id);

        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal("Disable the old key", Assert.Single(failed.Steps, s => s.State == StepState.Failed).Name);
        Assert.Equal(failed.NewKeyId, (await world.DescribeAsync("alias/FirstCMK")).KeyId);
        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ResumeAsync(RotationWorld.Bob, run.Id, "retry the fate"));
        Assert.Contains("kms:DisableKey", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("no alias", refused.Message, StringComparison.Ordinal);

        await iam.PutRolePolicyAsync(Role, "KeepKeysOn", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:DisableKey","Resource":"arn:aws:kms:us-east-1:111122223333:key/00000000-*"}]}""");
        Assert.Equal(RunState.Queued, await world.Requests.ResumeAsync(RotationWorld.Bob, run.Id, "exception approved for FirstCMK's old key"));
        var finished = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(oldKey)).KeyState);
        Assert.Equal(finished.NewKeyId, Assert.Single(await world.KeysTaggedWithAsync(run.Id)));
        Assert.Equal(finished.NewKeyId, (await world.DescribeAsync("alias/FirstCMK")).KeyId);
    }

    [Fact]
    public async Task A_key_still_disabled_refuses_resume_with_the_preflight_reason_and_once_enabled_the_run_completes()
    {
        await using var world = await RotationWorld.StartAsync();
        var (run, keyId) = await FailedBecauseDisabledAsync(world);

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, "try again"));
        Assert.Contains(refused.Reasons, r => r.Contains("is Disabled; this workflow needs an Enabled key", StringComparison.Ordinal));
        Assert.Equal(RunState.Failed, (await world.Runs.GetAsync(run.Id))!.State);

        await world.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });
        Assert.Equal(RunState.Queued, await world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, "key enabled again"));
        var finished = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.True((await world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);
        Assert.Equal(2, finished.Steps.Single(s => s.Name == "Enable automatic rotation").Attempts);
        Assert.Single(finished.Approvals);
    }

    [Theory]
    [InlineData("alice", true)]
    [InlineData("bob", true)]
    [InlineData("rachel", false)]
    [InlineData("erin", false)]
    [InlineData("victor", false)]
    public async Task Only_the_requester_or_an_approver_may_resume(string userId, bool allowed)
    {
        await using var world = await RotationWorld.StartAsync();
        var (run, keyId) = await FailedBecauseDisabledAsync(world);
        await world.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });
        var actor = new[] { RotationWorld.Alice, RotationWorld.Bob, Rachel, RotationWorld.Erin, RotationWorld.Victor }.Single(a => a.UserId == userId);

        if (allowed)
        {
            Assert.Equal(RunState.Queued, await world.Requests.ResumeAsync(actor, run.Id, "key enabled again"));
            Assert.Equal(RunState.Succeeded, (await world.DriveAsync(run.Id, approveGates: false)).State);
        }
        else
        {
            await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Requests.ResumeAsync(actor, run.Id, "key enabled again"));
            Assert.Equal(RunState.Failed, (await world.Runs.GetAsync(run.Id))!.State);
        }
    }

    [Fact]
    public async Task Rejected_cancelled_and_succeeded_runs_cannot_be_resumed()
    {
        await using var world = await RotationWorld.StartAsync();
        var rejected = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.Requests.RejectAsync(RotationWorld.Bob, rejected.Id, "not this quarter");
        var cancelled = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.Requests.CancelAsync(RotationWorld.Alice, cancelled.Id, "wrong key");
        var succeeded = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        Assert.Equal(RunState.Succeeded, (await world.DriveAsync(succeeded.Id)).State);

        var whenRejected = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ResumeAsync(RotationWorld.Alice, rejected.Id, "please"));
        var whenCancelled = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ResumeAsync(RotationWorld.Alice, cancelled.Id, "please"));
        var whenSucceeded = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ResumeAsync(RotationWorld.Bob, succeeded.Id, "please"));

        Assert.Contains("rejected run never resumes", whenRejected.Message, StringComparison.Ordinal);
        Assert.Contains("cancelled run never resumes", whenCancelled.Message, StringComparison.Ordinal);
        Assert.Contains("nothing to resume", whenSucceeded.Message, StringComparison.Ordinal);
        Assert.Equal(RunState.Rejected, (await world.Runs.GetAsync(rejected.Id))!.State);
        Assert.Equal(RunState.Cancelled, (await world.Runs.GetAsync(cancelled.Id))!.State);
        await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ResumeAsync(RotationWorld.Alice, rejected.Id, " "));
    }

    [Fact]
    public async Task Another_active_run_on_the_key_blocks_resuming_until_it_ends()
    {
        await using var world = await RotationWorld.StartAsync();
        var (run, keyId) = await FailedBecauseDisabledAsync(world);
        await world.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });
        var other = await world.SubmitAsync(keyId, WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotationPeriodInDays = 180 });

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, "key enabled again"));

        Assert.Contains(other.Id.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.Contains("one run at a time", refused.Message, StringComparison.Ordinal);
        Assert.Equal(RunState.Failed, (await world.Runs.GetAsync(run.Id))!.State);

        await world.Requests.CancelAsync(RotationWorld.Alice, other.Id, "the failed run goes on instead");
        Assert.Equal(RunState.Queued, await world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, "key enabled again"));
        Assert.Equal(RunState.Succeeded, (await world.DriveAsync(run.Id, approveGates: false)).State);
    }

    [Fact]
    public async Task After_the_approval_expired_a_resumed_run_waits_at_its_failed_step_for_a_fresh_approval()
    {
        await using var world = await RotationWorld.StartAsync();
        var clock = (ShiftableClock)world.Time;
        var (run, keyId) = await FailedBecauseDisabledAsync(world);
        await world.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });
        clock.Advance(world.Options.PolicyFor(WorkflowKind.EnableAutomaticRotation).Lifetime + TimeSpan.FromMinutes(1));

        var resumedAs = await world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, "key enabled again");

        Assert.Equal(RunState.AwaitingApproval, resumedAs);
        await world.NewOrchestrator().DrainAsync(CancellationToken.None);
        var waiting = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.AwaitingApproval, waiting.State);
        var step = waiting.Steps.Single(s => s.Index == waiting.CurrentStepIndex);
        Assert.Equal("Enable automatic rotation", step.Name);
        Assert.Equal(StepState.AwaitingApproval, step.State);
        Assert.Contains("\"Approval\" expired", step.Output, StringComparison.Ordinal);
        Assert.Equal(StepState.Succeeded, waiting.Steps[0].State);
        Assert.Contains(await world.Runs.AwaitingApprovalByAsync(RotationWorld.Carol), r => r.Id == run.Id);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Requests.ApproveAsync(RotationWorld.Alice, run.Id, null));

        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "still wanted");
        Assert.DoesNotContain(await world.Runs.AwaitingApprovalByAsync(RotationWorld.Carol), r => r.Id == run.Id);
        var finished = await world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(2, finished.Approvals.Count(a => a.GateStepIndex == 0 && a.ApproverId == "bob"));
        var resumed = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { RunId = run.Id, Action = "run.resumed" }, 0, 10)).Items.Single();
        Assert.Contains("waits for a fresh one", resumed.Details, StringComparison.Ordinal);
    }
}
