using System.Collections.Concurrent;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KmsConsole.Rotation.Tests.Runs;

/// <summary>
/// For every workflow, the orchestrator is stopped after each step boundary and in the middle of each step
/// (its KMS call made, its outcome not yet recorded); a fresh orchestrator on the same SQLite file finishes
/// the run with exactly one new key, the alias on it, and nothing orphaned.
/// </summary>
public sealed class CrashRecoveryTests
{
    public static TheoryData<WorkflowKind, bool> Cases()
    {
        var data = new TheoryData<WorkflowKind, bool>();
        foreach (var workflow in Enum.GetValues<WorkflowKind>())
        {
            data.Add(workflow, false);
            data.Add(workflow, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_fresh_orchestrator_completes_the_run_after_a_crash_at_any_point(WorkflowKind workflow, bool midStep)
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var stepCount = -1;
        for (var crashAt = 0; stepCount < 0 || crashAt < stepCount; crashAt++)
        {
            var scenario = await Scenario.PrepareAsync(world, workflow);
            var keysBefore = await CountKeysAsync(world);
            var run = await scenario.SubmitAsync(world);
            stepCount = run.Steps.Count;

            var crashing = world.NewOrchestrator(new CrashOnce(crashAt, midStep));
            var crashed = false;
            try
            {
                await world.DriveAsync(run.Id, crashing);
            }
            catch (SimulatedCrashException)
            {
                crashed = true;
            }

            Assert.True(crashed, $"{workflow}: no crash at step {crashAt}");
            var abandoned = (await world.Runs.GetAsync(run.Id))!;
            Assert.False(abandoned.IsFinished && crashAt < stepCount - 1, $"{workflow}: run ended at crash point {crashAt}");

            // The crashed instance's lease must run out before another instance may take the run.
            if (abandoned.LeaseOwner is not null)
            {
                Assert.Equal(0, await world.NewOrchestrator().ProcessOnceAsync(CancellationToken.None));
            }

            clock.Advance(world.Options.Orchestrator.LeaseDuration + TimeSpan.FromSeconds(1));
            var finished = await world.DriveAsync(run.Id, world.NewOrchestrator());

            var where = $"{workflow}, crash {(midStep ? "in" : "after")} step {crashAt} ({run.Steps[crashAt].Name})";
            Assert.True(finished.State == RunState.Succeeded, $"{where}: {finished.State} {finished.Error}");
            Assert.All(finished.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
            await scenario.AssertOutcomeAsync(world, finished, keysBefore, where);
        }
    }

    public enum CreateKeyCrash
    {
        /// <summary>At the step's last read before it saves that it calls CreateKey (the old key's tags).</summary>
        BeforeTheMarkerIsSaved,

        /// <summary>The marker is saved; the process dies as it sends CreateKey, which never reaches KMS.</summary>
        AfterTheMarkerBeforeCreateKeyIsSent,

        /// <summary>KMS created the key and answered; the process dies before the answer is recorded.</summary>
        AfterCreateKeyAnsweredBeforeItIsRecorded,
    }

    public static TheoryData<WorkflowKind, CreateKeyCrash> CreateKeyCrashes()
    {
        var data = new TheoryData<WorkflowKind, CreateKeyCrash>();
        foreach (var workflow in new[] { WorkflowKind.AliasSwapNewKey, WorkflowKind.AliasSwapImportedKey })
        {
            foreach (var crash in Enum.GetValues<CreateKeyCrash>())
            {
                data.Add(workflow, crash);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CreateKeyCrashes))]
    public async Task A_crash_around_CreateKey_leaves_exactly_one_new_key_and_searches_by_tag_only_when_CreateKey_may_have_run(WorkflowKind workflow, CreateKeyCrash crash)
    {
        var clock = new ShiftableClock();
        var network = new CrashAroundCreateKey(crash);
        await using var world = await RotationWorld.StartAsync(clock, services: (s, server) =>
            s.Replace(ServiceDescriptor.Singleton<IKmsClientFactory>(new SingleClientFactory(HandlerClients.Create(server.Endpoint, network)))));
        var scenario = await Scenario.PrepareAsync(world, workflow);
        var keysBefore = await CountKeysAsync(world);
        var run = await scenario.SubmitAsync(world);

        network.Armed = true;
        await Assert.ThrowsAsync<SimulatedCrashException>(() => world.DriveAsync(run.Id, world.NewOrchestrator()));

        // The crash struck where it says: what the database and KMS hold now.
        var abandoned = (await world.Runs.GetAsync(run.Id))!;
        var tagged = await world.KeysTaggedWithAsync(run.Id);
        Assert.Null(abandoned.NewKeyId);
        Assert.False(abandoned.Values.ContainsKey(CreateKeyStep.NewKeyValue));
        Assert.Equal(crash != CreateKeyCrash.BeforeTheMarkerIsSaved, abandoned.Values.ContainsKey(CreateKeyStep.CreateKeyAttemptedValue));
        Assert.Equal(crash == CreateKeyCrash.AfterCreateKeyAnsweredBeforeItIsRecorded ? 1 : 0, tagged.Count);

        clock.Advance(world.Options.Orchestrator.LeaseDuration + TimeSpan.FromSeconds(1));
        network.Calls.Clear();
        var finished = await world.DriveAsync(run.Id, world.NewOrchestrator());

        var where = $"{workflow}, crash {crash}";
        Assert.True(finished.State == RunState.Succeeded, $"{where}: {finished.State} {finished.Error}");
        await scenario.AssertOutcomeAsync(world, finished, keysBefore, where);
        Assert.Equal(Assert.Single(await world.KeysTaggedWithAsync(run.Id)), finished.NewKeyId);
        if (crash == CreateKeyCrash.AfterCreateKeyAnsweredBeforeItIsRecorded)
        {
            Assert.Equal(tagged[0], finished.NewKeyId);
        }

        // The tag search (ListKeys) runs in the create step only when CreateKey may have been called. The steps
        // after it (GetParametersForImport first, for the imported key) may list keys for reasons of their own.
        var createStepCalls = network.Calls.TakeWhile(c => c != "GetParametersForImport").ToList();
        Assert.Equal(crash != CreateKeyCrash.BeforeTheMarkerIsSaved, createStepCalls.Contains("ListKeys"));
        Assert.Equal(crash == CreateKeyCrash.AfterCreateKeyAnsweredBeforeItIsRecorded ? 0 : 1, createStepCalls.Count(c => c == "CreateKey"));
    }

    [Fact]
    public async Task A_run_stopped_inside_CreateKey_by_a_version_that_saved_no_marker_still_finds_its_key_instead_of_creating_another()
    {
        var clock = new ShiftableClock();
        var network = new CrashAroundCreateKey(CreateKeyCrash.AfterCreateKeyAnsweredBeforeItIsRecorded);
        await using var world = await RotationWorld.StartAsync(clock, services: (s, server) =>
            s.Replace(ServiceDescriptor.Singleton<IKmsClientFactory>(new SingleClientFactory(HandlerClients.Create(server.Endpoint, network)))));
        var scenario = await Scenario.PrepareAsync(world, WorkflowKind.AliasSwapNewKey);
        var keysBefore = await CountKeysAsync(world);
        var run = await scenario.SubmitAsync(world);
        network.Armed = true;
        await Assert.ThrowsAsync<SimulatedCrashException>(() => world.DriveAsync(run.Id, world.NewOrchestrator()));
        var created = Assert.Single(await world.KeysTaggedWithAsync(run.Id));

        // What an earlier version left behind: the sample, no marker, and no sign that the run uses one.
        Assert.Equal(1, await world.ExecuteSqlAsync(
            $"UPDATE Runs SET \"Values\" = json_remove(\"Values\", '$.{CreateKeyStep.CreateKeyAttemptedValue}', '$.{CreateKeyStep.MarkerInUseValue}') WHERE upper(Id) = upper('{run.Id}')"));
        var legacy = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal([EncryptSampleStep.SampleValue], legacy.Values.Keys);

        clock.Advance(world.Options.Orchestrator.LeaseDuration + TimeSpan.FromSeconds(1));
        var finished = await world.DriveAsync(run.Id, world.NewOrchestrator());

        Assert.True(finished.State == RunState.Succeeded, $"{finished.State} {finished.Error}");
        Assert.Equal(created, finished.NewKeyId);
        await scenario.AssertOutcomeAsync(world, finished, keysBefore, "a run begun without the marker");
    }

    private static async Task<int> CountKeysAsync(RotationWorld world)
    {
        var keys = (await world.Kms.ListKeysAsync(new ListKeysRequest { Limit = 1000 })).Keys.Select(k => k.KeyId).ToHashSet();
        try
        {
            keys.Remove((await world.DescribeAsync(world.Options.EscrowKeyAlias)).KeyId);
        }
        catch (NotFoundException)
        {
        }

        return keys.Count;
    }

    /// <summary>Once armed, stops the process at <paramref name="crash"/>; records the KMS operation of every call.</summary>
    private sealed class CrashAroundCreateKey(CreateKeyCrash crash) : DelegatingHandler(new HttpClientHandler())
    {
        private bool _fired;

        public bool Armed { get; set; }

        public ConcurrentQueue<string> Calls { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var operation = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.Single().Replace("TrentService.", "", StringComparison.Ordinal) : "";
            Calls.Enqueue(operation);
            var firesBefore = crash switch
            {
                CreateKeyCrash.BeforeTheMarkerIsSaved => operation == "ListResourceTags",
                CreateKeyCrash.AfterTheMarkerBeforeCreateKeyIsSent => operation == "CreateKey",
                _ => false,
            };
            if (Armed && !_fired && firesBefore)
            {
                _fired = true;
                throw new SimulatedCrashException($"crash before {operation} is sent");
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (Armed && !_fired && crash == CreateKeyCrash.AfterCreateKeyAnsweredBeforeItIsRecorded && operation == "CreateKey" && response.IsSuccessStatusCode)
            {
                _fired = true;
                response.Dispose();
                throw new SimulatedCrashException("crash after CreateKey answered");
            }

            return response;
        }
    }

    private sealed class SingleClientFactory(IAmazonKeyManagementService client) : IKmsClientFactory
    {
        public IAmazonKeyManagementService Create(string targetName) => client;
    }

    private sealed class CrashOnce(int index, bool midStep) : RunEngineHooks
    {
        private bool _fired;

        public override void AfterStepEffect(Run run, int stepIndex) => Crash(midStep, stepIndex);

        public override void AfterStepRecorded(Run run, int stepIndex) => Crash(!midStep, stepIndex);

        private void Crash(bool when, int stepIndex)
        {
            if (when && stepIndex == index && !_fired)
            {
                _fired = true;
                throw new SimulatedCrashException($"crash at step {stepIndex}");
            }
        }
    }

    private sealed class Scenario
    {
        private WorkflowKind _workflow;
        private string _keyId = "";
        private string _alias = "";
        private Guid? _swapRun;
        private int _materialsBefore;
        private byte[] _ciphertext = [];

        public static async Task<Scenario> PrepareAsync(RotationWorld world, WorkflowKind workflow)
        {
            var s = new Scenario { _workflow = workflow };
            switch (workflow)
            {
                case WorkflowKind.EnableAutomaticRotation:
                case WorkflowKind.AliasSwapNewKey:
                    (s._keyId, s._alias) = await world.NewAwsKeyAsync();
                    break;
                case WorkflowKind.AliasSwapImportedKey:
                case WorkflowKind.NewMaterialInPlace:
                    (s._keyId, s._alias) = await world.NewImportedKeyAsync();
                    break;
                case WorkflowKind.ReimportBeforeExpiry:
                    var (_, alias) = await world.NewImportedKeyAsync();
                    var swap = await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.AliasSwapImportedKey)).Id);
                    (s._keyId, s._alias) = (swap.NewKeyId!, alias);
                    await world.Kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = s._keyId });
                    break;
                case WorkflowKind.RollBack:
                    (s._keyId, s._alias) = await world.NewAwsKeyAsync();
                    s._swapRun = (await world.DriveAsync((await world.SubmitAsync(s._alias, WorkflowKind.AliasSwapNewKey)).Id)).Id;
                    break;
            }

            s._ciphertext = workflow == WorkflowKind.ReimportBeforeExpiry ? [] : await world.EncryptAsync(s._alias, "before");
            s._materialsBefore = (await world.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = s._keyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL })).Rotations.Count;
            return s;
        }

        public async Task<Run> SubmitAsync(RotationWorld world) => _workflow switch
        {
            WorkflowKind.EnableAutomaticRotation => await world.SubmitAsync(_alias, _workflow, new RotationParameters { RotateNow = true, RotationPeriodInDays = 90 }),
            WorkflowKind.AliasSwapNewKey => await world.SubmitAsync(_alias, _workflow, new RotationParameters { OldKeyFate = OldKeyFate.Disable }),
            WorkflowKind.AliasSwapImportedKey => await world.SubmitAsync(_alias, _workflow, new RotationParameters { OldKeyFate = OldKeyFate.DeleteImportedMaterial }),
            WorkflowKind.NewMaterialInPlace => await world.SubmitAsync(_alias, _workflow),
            WorkflowKind.ReimportBeforeExpiry => await world.SubmitAsync(_keyId, _workflow),
            _ => await world.Requests.RequestRollBackAsync(RotationWorld.Alice, _swapRun!.Value, "undo"),
        };

        public async Task AssertOutcomeAsync(RotationWorld world, Run run, int keysBefore, string where)
        {
            var keysAfter = await CountKeysAsync(world);
            var created = await world.KeysTaggedWithAsync(run.Id);
            var materials = (await world.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = _keyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL })).Rotations;
            switch (_workflow)
            {
                case WorkflowKind.EnableAutomaticRotation:
                    Assert.True(keysAfter == keysBefore, where);
                    Assert.True((await world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = _keyId })).KeyRotationEnabled, where);
                    Assert.True(materials.Count(r => r.RotationType == RotationType.ON_DEMAND) == 1, $"{where}: one on-demand rotation");
                    break;
                case WorkflowKind.AliasSwapNewKey:
                case WorkflowKind.AliasSwapImportedKey:
                    Assert.True(created.Count == 1, $"{where}: {created.Count} keys tagged with the run");
                    Assert.True(keysAfter == keysBefore + 1, $"{where}: {keysAfter - keysBefore} new keys");
                    Assert.True((await world.DescribeAsync(_alias)).KeyId == created[0], $"{where}: alias not on the new key");
                    Assert.True((await world.DescribeAsync(_keyId)).KeyState == (_workflow == WorkflowKind.AliasSwapNewKey ? KeyState.Disabled : KeyState.PendingImport), where);
                    break;
                case WorkflowKind.NewMaterialInPlace:
                    Assert.True(keysAfter == keysBefore, where);
                    Assert.True(materials.Count == _materialsBefore + 1, $"{where}: {materials.Count - _materialsBefore} new materials");
                    Assert.True(materials.Count(r => r.RotationType == RotationType.ON_DEMAND) == 1, $"{where}: one on-demand rotation");
                    Assert.True((await world.DescribeAsync(_alias)).KeyId == _keyId, where);
                    Assert.Equal("before", await world.DecryptAsync(_ciphertext));
                    break;
                case WorkflowKind.ReimportBeforeExpiry:
                    Assert.True(keysAfter == keysBefore, where);
                    Assert.True((await world.DescribeAsync(_keyId)).KeyState == KeyState.Enabled, where);
                    Assert.True(materials.Count == _materialsBefore, $"{where}: the same material, not a new one");
                    break;
                case WorkflowKind.RollBack:
                    Assert.True(keysAfter == keysBefore, where);
                    Assert.True((await world.DescribeAsync(_alias)).KeyId == _keyId, $"{where}: alias not back on the previous key");
                    Assert.Equal("before", await world.DecryptAsync(_ciphertext));
                    break;
            }

            if (_workflow is not (WorkflowKind.AliasSwapNewKey or WorkflowKind.AliasSwapImportedKey))
            {
                Assert.True(created.Count == 0, $"{where}: a key was created");
            }
        }
    }
}
