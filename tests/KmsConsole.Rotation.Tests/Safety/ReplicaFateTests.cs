using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.LocalKms.Iam;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Safety;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Safety;

/// <summary>The old key's fate reaches its replicas in their Regions, over HTTP against the local KMS, so no replica is orphaned.</summary>
public sealed class ReplicaFateTests
{
    private const string West = "us-west-2";
    private const string Alias = "alias/ledger";

    private sealed record MultiRegionKey(string KeyId, string Arn, string WestArn, IAmazonKeyManagementService West) : IDisposable
    {
        public void Dispose() => West.Dispose();
    }

    /// <summary>A multi-Region primary in us-east-1 with a replica in us-west-2, the alias on it in both Regions.</summary>
    private static async Task<MultiRegionKey> MultiRegionKeyAsync(RotationWorld world)
    {
        var west = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = world.Server.Endpoint.ToString(), AuthenticationRegion = West });
        var primary = (await world.Kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true, Description = "ledger, every Region" })).KeyMetadata;
        var replica = (await world.Kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = primary.KeyId, ReplicaRegion = West })).ReplicaKeyMetadata;
        await world.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = Alias, TargetKeyId = primary.KeyId });
        await west.CreateAliasAsync(new CreateAliasRequest { AliasName = Alias, TargetKeyId = primary.KeyId });
        return new MultiRegionKey(primary.KeyId, primary.Arn, replica.Arn, west);
    }

    private static async Task<KeyMetadata> WestAsync(MultiRegionKey key) =>
        (await key.West.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId })).KeyMetadata;

    private static void PassDays(RotationWorld world, ShiftableClock clock, double days)
    {
        clock.Advance(TimeSpan.FromDays(days));
        world.Server.Clock.Advance(TimeSpan.FromDays(days));
    }

    private static async Task<(Run Run, RunOrchestrator Orchestrator)> WatchingAsync(RotationWorld world)
    {
        var run = await world.SubmitAsync(Alias, WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.StagedRetirement, PendingWindowInDays = 7 });
        var orchestrator = world.NewOrchestrator();
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "go");
        await orchestrator.DrainAsync(CancellationToken.None);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "retire it in stages");
        await orchestrator.DrainAsync(CancellationToken.None);
        var watching = (await world.Runs.GetAsync(run.Id))!;
        Assert.True(world.Get<RetirementWatch>().IsWatching(watching), $"{watching.State} at {watching.CurrentStep?.Name}: {watching.Error}");
        return (watching, orchestrator);
    }

    [Fact]
    public async Task Disabling_the_old_multi_Region_key_disables_its_replica_in_the_other_Region_too()
    {
        await using var world = await RotationWorld.StartAsync();
        using var key = await MultiRegionKeyAsync(world);

        var done = await world.DriveAsync((await world.SubmitAsync(Alias, WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable })).Id);

        Assert.True(done.State == RunState.Succeeded, $"{done.State}: {done.Error}");
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(key.KeyId)).KeyState);
        Assert.Equal(KeyState.Disabled, (await WestAsync(key)).KeyState);
        var fate = Assert.Single(done.Steps, s => s.Name == "Disable the old key");
        Assert.Equal($"Old key {key.KeyId} disabled; its replicas — {West}: disabled", fate.Output);
        // The replica is refused to callers in its Region, as the primary is in its own.
        var refused = await Assert.ThrowsAsync<DisabledException>(() => key.West.EncryptAsync(new EncryptRequest
        {
            KeyId = key.WestArn, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes("after the retirement")),
        }));
        Assert.Contains(key.WestArn, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scheduling_the_old_multi_Region_keys_deletion_schedules_its_replicas_deletion_first_with_the_same_window()
    {
        await using var world = await RotationWorld.StartAsync();
        using var key = await MultiRegionKeyAsync(world);

        var done = await world.DriveAsync((await world.SubmitAsync(Alias, WorkflowKind.AliasSwapNewKey,
            new RotationParameters { OldKeyFate = OldKeyFate.ScheduleDeletion, PendingWindowInDays = 9 })).Id);

        Assert.True(done.State == RunState.Succeeded, $"{done.State}: {done.Error}");
        var west = await WestAsync(key);
        Assert.Equal(KeyState.PendingDeletion, west.KeyState);
        Assert.Equal(world.Server.Clock.GetUtcNow().AddDays(9).UtcDateTime, west.DeletionDate!.Value, TimeSpan.FromMinutes(1));
        // AWS keeps a primary whose replicas are not yet deleted PendingReplicaDeletion; either way it is scheduled.
        Assert.True(OldKeyReplicas.IsPendingDeletion((await world.DescribeAsync(key.KeyId)).KeyState));
        var fate = Assert.Single(done.Steps, s => s.Name == "Schedule deletion of the old key");
        Assert.Contains($"; its replicas — {West}: deletion scheduled for ", fate.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resumed_fate_step_leaves_a_replica_that_already_has_the_fate_alone_and_finishes_the_rest()
    {
        await using var world = await RotationWorld.StartAsync();
        using var key = await MultiRegionKeyAsync(world);
        // As after a crash between the replica's call and the primary's: the replica is already disabled.
        await key.West.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });

        var done = await world.DriveAsync((await world.SubmitAsync(Alias, WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable })).Id);

        Assert.True(done.State == RunState.Succeeded, $"{done.State}: {done.Error}");
        Assert.Equal($"Old key {key.KeyId} disabled; its replicas — {West}: already Disabled",
            Assert.Single(done.Steps, s => s.Name == "Disable the old key").Output);
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task A_staged_retirement_of_a_multi_Region_key_watches_its_replica_and_schedules_the_replicas_deletion_with_the_old_keys()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        using var key = await MultiRegionKeyAsync(world);
        var (run, orchestrator) = await WatchingAsync(world);
        Assert.Equal(KeyState.Disabled, (await WestAsync(key)).KeyState);
        Assert.Contains($"Watching the disabled key {key.KeyId} and its replicas in {West} until", run.CurrentStep!.Output, StringComparison.Ordinal);

        PassDays(world, clock, world.Options.Safety.RetirementWatchDays);
        Assert.Equal(1, await world.Get<RetirementWatch>().CheckDueAsync());
        await orchestrator.DrainAsync(CancellationToken.None);
        var atDeletionGate = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal("Approval of the old key's deletion", atDeletionGate.CurrentStep!.Name);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "nobody used it in either Region");
        await orchestrator.DrainAsync(CancellationToken.None);

        var done = (await world.Runs.GetAsync(run.Id))!;
        Assert.True(done.State == RunState.Succeeded, $"{done.State}: {done.Error}");
        Assert.Equal(KeyState.PendingDeletion, (await WestAsync(key)).KeyState);
        Assert.True(OldKeyReplicas.IsPendingDeletion((await world.DescribeAsync(key.KeyId)).KeyState));
    }

    [Fact]
    public async Task A_replica_used_in_its_Region_during_the_watch_stops_the_retirement_naming_the_Region()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        using var key = await MultiRegionKeyAsync(world);
        var (run, orchestrator) = await WatchingAsync(world);
        PassDays(world, clock, 2);
        // The west team enabled its replica again behind the console's back and encrypts with it by ARN.
        await key.West.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });
        await key.West.EncryptAsync(new EncryptRequest { KeyId = key.WestArn, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes("west nightly job")) });

        PassDays(world, clock, 1);
        await world.Get<RetirementWatch>().CheckDueAsync();
        await orchestrator.DrainAsync(CancellationToken.None);

        var stopped = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.Failed, stopped.State);
        Assert.Contains($"The old key {key.KeyId} (its replica in {West}) was used during its watch (Encrypt at ", stopped.Error, StringComparison.Ordinal);
        Assert.Equal(KeyState.Disabled, (await world.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task Re_enabling_a_watched_multi_Region_key_enables_its_replica_too_and_the_audit_names_it()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        using var key = await MultiRegionKeyAsync(world);
        var (run, orchestrator) = await WatchingAsync(world);

        await world.Get<RetirementWatch>().ReEnableAsync(RotationWorld.Bob, run.Id, "the west reports still decrypt with it");
        await orchestrator.DrainAsync(CancellationToken.None);

        Assert.Equal(KeyState.Enabled, (await world.DescribeAsync(key.KeyId)).KeyState);
        Assert.Equal(KeyState.Enabled, (await WestAsync(key)).KeyState);
        Assert.Equal(RunState.Failed, (await world.Runs.GetAsync(run.Id))!.State);
        var audited = Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "key.re-enabled" }, 0, 10)).Items);
        Assert.Contains($"its replicas — {West}: enabled", audited.Details, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(OldKeyFate.Disable)]
    [InlineData(OldKeyFate.ScheduleDeletion)]
    public async Task A_role_with_only_the_generated_policy_retires_the_old_key_and_its_replica(OldKeyFate fate)
    {
        const string Role = "KmsConsole-ReplicaRunner";
        await using var world = await RotationWorld.StartAsync(configure: o => o.Targets[0].AccessKeyId = Role);
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        var settings = world.Server.Services.GetRequiredService<LocalIamOptions>();
        var recorder = world.Server.Services.GetRequiredService<KmsCallRecorder>();
        await iam.CreateRoleAsync(Role, "/", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "retires keys in this test", 3600);
        using var key = await MultiRegionKeyAsync(world);
        var resources = new KmsRunResources("us-east-1", "111122223333", key.Arn, Alias) { ReplicaRegions = [West] };
        var required = KmsPermissionRequirements.For(WorkflowKind.AliasSwapNewKey, resources, oldKeyFate: fate);
        var action = fate == OldKeyFate.Disable ? "kms:DisableKey" : "kms:ScheduleKeyDeletion";
        Assert.Contains(required, p => p.Action == action && p.Resource == key.WestArn);
        await iam.PutRolePolicyAsync(Role, "UnderTest", LeastPrivilegePolicy.ForWorkflow(WorkflowKind.AliasSwapNewKey, resources, PolicyScope.NamedResources, oldKeyFate: fate));
        settings.EnforceKmsPermissions = true;
        recorder.Clear();
        recorder.Recording = true;

        var done = await world.DriveAsync((await world.SubmitAsync(Alias, WorkflowKind.AliasSwapNewKey,
            new RotationParameters { OldKeyFate = fate, PendingWindowInDays = fate == OldKeyFate.ScheduleDeletion ? 7 : null })).Id);
        recorder.Recording = false;

        Assert.True(done.State == RunState.Succeeded, $"{done.State}: {done.Error}");
        var calls = recorder.CallsBy(Role);
        Assert.All(calls, c => Assert.True(c.Allowed, $"{c.Action} on {c.Resource} was denied"));
        // The local endpoint checks IAM against the ARN in its home Region whatever the request's Region, so the replica's
        // call is seen here under the primary's ARN; the requirement on the replica's own ARN is asserted above.
        Assert.Equal(2, calls.Count(c => c.Action == action && c.Resource == key.Arn));
        Assert.NotEqual(KeyState.Enabled, (await WestAsync(key)).KeyState);
    }
}
