using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Iam;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Workflows;

/// <summary>Each workflow end to end through the AWS SDK against the local KMS endpoint over HTTP.</summary>
public sealed class WorkflowTests : IAsyncLifetime
{
    private RotationWorld _world = null!;

    public async Task InitializeAsync() => _world = await RotationWorld.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Enabling_automatic_rotation_turns_it_on_with_the_chosen_period_and_rotates_now()
    {
        var (keyId, alias) = await _world.NewAwsKeyAsync();
        var before = await _world.EncryptAsync(alias, "written before the rotation");

        var run = await _world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotationPeriodInDays = 180, RotateNow = true });
        Assert.Equal(RunState.AwaitingApproval, run.State);
        var finished = await _world.DriveAsync(run.Id);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.All(finished.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        Assert.Contains(finished.Steps, s => s.Name == "Rotate now" && s.AwsRequestId is { Length: > 0 });
        var status = await _world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId });
        Assert.True(status.KeyRotationEnabled);
        Assert.Equal(180, status.RotationPeriodInDays);
        var rotations = await _world.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId });
        Assert.Single(rotations.Rotations, r => r.RotationType == RotationType.ON_DEMAND);
        Assert.Equal("written before the rotation", await _world.DecryptAsync(before));
        Assert.Equal(keyId, (await _world.DescribeAsync(alias)).KeyId);
    }

    [Fact]
    public async Task Alias_swap_to_a_new_key_copies_the_key_moves_the_alias_and_disables_the_old_key_after_its_own_gate()
    {
        var (oldKey, alias) = await _world.NewAwsKeyAsync();
        var before = await _world.EncryptAsync(alias, "old data");

        var run = await _world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable });
        var paused = await _world.DriveAsync(run.Id, approveGates: false);
        Assert.Equal(RunState.AwaitingApproval, paused.State);
        await _world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        paused = await _world.DriveAsync(run.Id, approveGates: false);

        // The alias already moved; the destructive step waits at a gate of its own.
        Assert.Equal(RunState.AwaitingApproval, paused.State);
        Assert.Equal("Approval of the old key's fate", paused.Steps[paused.CurrentStepIndex].Name);
        Assert.Equal(KeyState.Enabled, (await _world.DescribeAsync(oldKey)).KeyState);
        var newKey = Assert.Single(await _world.KeysTaggedWithAsync(run.Id));
        Assert.Equal(newKey, (await _world.DescribeAsync(alias)).KeyId);

        await _world.Requests.ApproveAsync(RotationWorld.Carol, run.Id, "disable it");
        var finished = await _world.DriveAsync(run.Id, approveGates: false);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(newKey, finished.NewKeyId);
        Assert.Equal(KeyState.Disabled, (await _world.DescribeAsync(oldKey)).KeyState);
        var created = await _world.DescribeAsync(newKey);
        Assert.Equal("app data key", created.Description);
        Assert.Equal(OriginType.AWS_KMS, created.Origin);
        var tags = (await _world.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = newKey })).Tags;
        Assert.Contains(tags, t => t.TagKey == "team" && t.TagValue == "payments");
        Assert.Contains(tags, t => t.TagKey == "kmsconsole:run-id" && t.TagValue == run.Id.ToString());
        // The key list shows the change without a full sync.
        var listed = await _world.Inventory.QueryAsync(new KeyQuery { Search = alias });
        Assert.Equal(newKey, Assert.Single(listed.Items).KeyId);
        Assert.Equal("Disabled", (await _world.Inventory.QueryAsync(new KeyQuery { Search = oldKey })).Items.Single().KeyState);

        // Data encrypted under the old key decrypted after the swap (checked before the old key was disabled).
        Assert.Contains("still decrypts", finished.Steps.Single(s => s.Name == "Verify the alias and the old data").Output);
        await Assert.ThrowsAsync<DisabledException>(() => _world.DecryptAsync(before));
    }

    [Fact]
    public async Task Alias_swap_to_a_new_imported_key_imports_escrowed_material_with_sha1_wrapping_and_deletes_the_old_material()
    {
        var (oldKey, alias) = await _world.NewImportedKeyAsync();
        var validTo = _world.Time.GetUtcNow().AddDays(90);
        var run = await _world.SubmitAsync(alias, WorkflowKind.AliasSwapImportedKey, new RotationParameters
        {
            OldKeyFate = OldKeyFate.DeleteImportedMaterial,
            WrappingAlgorithm = RotationParameters.OaepSha1,
            ExpirationModel = RotationParameters.KeyMaterialExpires,
            ValidTo = validTo,
        });

        var finished = await _world.DriveAsync(run.Id);

        Assert.Equal(RunState.Succeeded, finished.State);
        var newKey = Assert.Single(await _world.KeysTaggedWithAsync(run.Id));
        var created = await _world.DescribeAsync(alias);
        Assert.Equal(newKey, created.KeyId);
        Assert.Equal(OriginType.EXTERNAL, created.Origin);
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_EXPIRES, created.ExpirationModel);
        Assert.InRange(created.ValidTo!.Value, validTo.UtcDateTime.AddSeconds(-2), validTo.UtcDateTime.AddSeconds(2));
        Assert.Equal(KeyState.PendingImport, (await _world.DescribeAsync(oldKey)).KeyState);
        Assert.Contains(finished.Steps, s => s.Name == "Generate and escrow key material" && s.State == StepState.Succeeded);
        Assert.Equal("round trip", await _world.DecryptAsync(await _world.EncryptAsync(alias, "round trip")));
    }

    [Fact]
    public async Task New_material_in_place_keeps_the_key_id_and_alias_and_old_ciphertexts_still_decrypt()
    {
        var (keyId, alias) = await _world.NewImportedKeyAsync();
        var before = await _world.EncryptAsync(alias, "encrypted under the first material");
        var materialsBefore = (await _world.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL })).Rotations.Count;

        var run = await _world.SubmitAsync(alias, WorkflowKind.NewMaterialInPlace);
        var finished = await _world.DriveAsync(run.Id);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(keyId, (await _world.DescribeAsync(alias)).KeyId);
        var materials = (await _world.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL })).Rotations;
        Assert.Equal(materialsBefore + 1, materials.Count);
        Assert.Single(materials, m => m.KeyMaterialState == KeyMaterialState.CURRENT);
        Assert.Equal("encrypted under the first material", await _world.DecryptAsync(before));
        Assert.Empty(await _world.KeysTaggedWithAsync(run.Id));
    }

    [Fact]
    public async Task Reimport_restores_a_key_whose_material_was_deleted_and_old_ciphertexts_decrypt_again()
    {
        var (_, alias) = await _world.NewImportedKeyAsync("w3");
        var swap = await _world.DriveAsync((await _world.SubmitAsync(alias, WorkflowKind.AliasSwapImportedKey)).Id);
        Assert.Equal(RunState.Succeeded, swap.State);
        var keyId = swap.NewKeyId!;
        var secret = await _world.EncryptAsync(alias, "payroll 2026");
        await _world.Kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = keyId });
        Assert.Equal(KeyState.PendingImport, (await _world.DescribeAsync(keyId)).KeyState);
        await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => _world.DecryptAsync(secret));

        var validTo = _world.Time.GetUtcNow().AddDays(200);
        var run = await _world.SubmitAsync(keyId, WorkflowKind.ReimportBeforeExpiry,
            new RotationParameters { ExpirationModel = RotationParameters.KeyMaterialExpires, ValidTo = validTo });
        var finished = await _world.DriveAsync(run.Id);

        Assert.Equal(RunState.Succeeded, finished.State);
        var key = await _world.DescribeAsync(keyId);
        Assert.Equal(KeyState.Enabled, key.KeyState);
        Assert.InRange(key.ValidTo!.Value, validTo.UtcDateTime.AddSeconds(-2), validTo.UtcDateTime.AddSeconds(2));
        Assert.Equal("payroll 2026", await _world.DecryptAsync(secret));
    }

    [Fact]
    public async Task Roll_back_points_the_alias_at_the_previous_key_and_marks_the_swap_rolled_back()
    {
        var (oldKey, alias) = await _world.NewAwsKeyAsync();
        var swap = await _world.DriveAsync((await _world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey)).Id);
        Assert.Equal(swap.NewKeyId, (await _world.DescribeAsync(alias)).KeyId);

        var rollBack = await _world.Requests.RequestRollBackAsync(RotationWorld.Alice, swap.Id, "the new key breaks the batch job");
        Assert.Equal(WorkflowKind.RollBack, rollBack.Workflow);
        var finished = await _world.DriveAsync(rollBack.Id);

        Assert.Equal(RunState.Succeeded, finished.State);
        Assert.Equal(oldKey, (await _world.DescribeAsync(alias)).KeyId);
        Assert.Equal(RunState.RolledBack, (await _world.Runs.GetAsync(swap.Id))!.State);
        var again = await Assert.ThrowsAsync<RotationRefusedException>(() => _world.Requests.RequestRollBackAsync(RotationWorld.Alice, swap.Id, "again"));
        Assert.Contains("already rolled back", again.Message);
    }

    [Fact]
    public async Task Roll_back_is_refused_when_the_previous_key_is_no_longer_usable()
    {
        var (_, alias) = await _world.NewAwsKeyAsync();
        var swap = await _world.DriveAsync((await _world.SubmitAsync(alias, WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable })).Id);
        Assert.Equal(RunState.Succeeded, swap.State);

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => _world.Requests.RequestRollBackAsync(RotationWorld.Alice, swap.Id, "undo"));

        Assert.Contains("Disabled", refused.Message);
        Assert.Equal(swap.NewKeyId, (await _world.DescribeAsync(alias)).KeyId);
    }

    [Theory]
    [InlineData(WorkflowKind.AliasSwapNewKey)]
    [InlineData(WorkflowKind.AliasSwapImportedKey)]
    public async Task An_uninterrupted_alias_swap_lists_no_keys_and_reads_the_tags_of_no_key_but_its_own(WorkflowKind workflow)
    {
        // Other keys of the account, each tagged: a search for the run's key by tag would read every one of them.
        for (var i = 0; i < 12; i++)
        {
            await _world.NewAwsKeyAsync($"other{i}");
        }

        var imported = workflow == WorkflowKind.AliasSwapImportedKey;
        var (oldKey, alias) = imported ? await _world.NewImportedKeyAsync() : await _world.NewAwsKeyAsync();
        if (imported)
        {
            // The first import of the account creates the escrow key (and looks for one by tag first); this run is not the first.
            var (first, _) = await _world.NewImportedKeyAsync();
            Assert.Equal(RunState.Succeeded, (await _world.DriveAsync((await _world.SubmitAsync(first, WorkflowKind.NewMaterialInPlace)).Id)).State);
        }

        // The endpoint records KMS calls per caller only while it checks them against IAM; the runner may do anything.
        var runner = _world.Options.Targets[0].AccessKeyId!;
        var iam = _world.Server.Services.GetRequiredService<IamStore>();
        await iam.CreateRoleAsync(runner, "/", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "runs rotations", 3600);
        await iam.PutRolePolicyAsync(runner, "AllKms", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""");
        var recorder = _world.Server.Services.GetRequiredService<KmsCallRecorder>();
        var settings = _world.Server.Services.GetRequiredService<LocalIamOptions>();
        settings.EnforceKmsPermissions = true;
        recorder.Recording = true;
        Run finished;
        try
        {
            finished = await _world.DriveAsync((await _world.SubmitAsync(alias, workflow)).Id);
        }
        finally
        {
            recorder.Recording = false;
            settings.EnforceKmsPermissions = false;
        }

        Assert.True(finished.State == RunState.Succeeded, $"{finished.State}: {finished.Error}");
        Assert.Equal(finished.NewKeyId, Assert.Single(await _world.KeysTaggedWithAsync(finished.Id)));
        var calls = recorder.CallsBy(runner);
        Assert.Contains(calls, c => c.Action == "kms:CreateKey");
        Assert.DoesNotContain(calls, c => c.Action == "kms:ListKeys");
        var tagReads = calls.Where(c => c.Action == "kms:ListResourceTags").Select(c => c.Resource).Distinct().ToList();
        Assert.Equal([(await _world.DescribeAsync(oldKey)).Arn], tagReads);
    }

    [Fact]
    public async Task A_failing_aws_call_fails_the_step_with_the_aws_error_code_and_message()
    {
        var (keyId, alias) = await _world.NewAwsKeyAsync();
        var run = await _world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation);
        await _world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        // The key is disabled after the preflight passed: KMS itself refuses EnableKeyRotation.
        await _world.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });

        var finished = await _world.DriveAsync(run.Id);

        Assert.Equal(RunState.Failed, finished.State);
        var failed = Assert.Single(finished.Steps, s => s.State == StepState.Failed);
        Assert.Equal("DisabledException", failed.ErrorCode);
        Assert.False(string.IsNullOrEmpty(failed.ErrorMessage));
        Assert.Equal(1, failed.Attempts);
        Assert.Contains("DisabledException", finished.Error);
        // The key and alias are free again for a new run.
        await _world.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });
        Assert.True((await _world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, alias, WorkflowKind.EnableAutomaticRotation, new(), "retry"))).Allowed);
    }
}
