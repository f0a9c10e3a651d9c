using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Tests.Workflows;

public sealed class PreflightTests : IAsyncLifetime
{
    private RotationWorld _world = null!;

    public async Task InitializeAsync() => _world = await RotationWorld.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private Task<PreflightPlan> PlanAsync(string key, WorkflowKind workflow, RotationParameters? parameters = null) =>
        _world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, key, workflow, parameters ?? new RotationParameters(), "check"));

    [Fact]
    public async Task Automatic_rotation_of_an_imported_key_is_refused()
    {
        var plan = await PlanAsync("alias/ImportedCMK", WorkflowKind.EnableAutomaticRotation);

        Assert.False(plan.Allowed);
        Assert.Contains(plan.Refusals, r => r.Contains("EXTERNAL", StringComparison.Ordinal));
        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => _world.SubmitAsync("alias/ImportedCMK", WorkflowKind.EnableAutomaticRotation));
        Assert.Contains("EXTERNAL", refused.Message);
        Assert.Equal(0, (await _world.Runs.ListAsync(new RunFilter(), 0, 10)).TotalCount);
    }

    [Fact]
    public async Task An_alias_swap_between_keys_of_different_types_is_refused()
    {
        Assert.False((await PlanAsync("alias/ImportedCMK", WorkflowKind.AliasSwapNewKey)).Allowed);
        Assert.False((await PlanAsync("alias/FirstCMK", WorkflowKind.AliasSwapImportedKey)).Allowed);
        Assert.False((await PlanAsync("alias/FirstCMK", WorkflowKind.NewMaterialInPlace)).Allowed);
    }

    [Fact]
    public async Task Out_of_range_values_are_refused_as_kms_would()
    {
        Assert.Contains((await PlanAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotationPeriodInDays = 30 })).Refusals,
            r => r.Contains("between 90 and 2560", StringComparison.Ordinal));
        Assert.Contains((await PlanAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.ScheduleDeletion, PendingWindowInDays = 3 })).Refusals,
            r => r.Contains("between 7 and 30", StringComparison.Ordinal));
        Assert.Contains((await PlanAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.DeleteImportedMaterial })).Refusals,
            r => r.Contains("DeleteImportedKeyMaterial", StringComparison.Ordinal));
        Assert.Contains((await PlanAsync("alias/ImportedCMK", WorkflowKind.NewMaterialInPlace,
                new RotationParameters { ExpirationModel = RotationParameters.KeyMaterialExpires, ValidTo = DateTimeOffset.UtcNow.AddDays(400) })).Refusals,
            r => r.Contains("365 days", StringComparison.Ordinal));
        Assert.Contains((await PlanAsync("alias/ImportedCMK", WorkflowKind.NewMaterialInPlace, new RotationParameters { WrappingAlgorithm = "RSAES_PKCS1_V1_5" })).Refusals,
            r => r.Contains("RSAES_PKCS1_V1_5", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deleting_old_material_that_KmsConsole_holds_no_copy_of_is_flagged_in_the_plan_and_not_when_it_is_escrowed()
    {
        var deleteFate = new RotationParameters { OldKeyFate = OldKeyFate.DeleteImportedMaterial };
        const string step = "Delete the old key's imported material";

        var seeded = await PlanAsync("alias/ImportedCMK", WorkflowKind.AliasSwapImportedKey, deleteFate);

        Assert.True(seeded.Allowed);
        Assert.Contains("no escrowed copy", Assert.Single(seeded.Steps, s => s.Name == step).Description, StringComparison.Ordinal);

        // After a swap made by KmsConsole the alias points at a key whose material is escrowed.
        var swap = await _world.SubmitAsync("alias/ImportedCMK", WorkflowKind.AliasSwapImportedKey, new RotationParameters { OldKeyFate = OldKeyFate.Keep });
        Assert.Equal(RunState.Succeeded, (await _world.DriveAsync(swap.Id)).State);
        var escrowed = await PlanAsync("alias/ImportedCMK", WorkflowKind.AliasSwapImportedKey, deleteFate);

        Assert.DoesNotContain("no escrowed copy", Assert.Single(escrowed.Steps, s => s.Name == step).Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabled_keys_unknown_keys_and_keys_without_escrow_are_refused()
    {
        var (keyId, alias) = await _world.NewAwsKeyAsync();
        await _world.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        Assert.Contains((await PlanAsync(alias, WorkflowKind.AliasSwapNewKey)).Refusals, r => r.Contains("Disabled", StringComparison.Ordinal));
        Assert.Contains((await PlanAsync("alias/does-not-exist", WorkflowKind.AliasSwapNewKey)).Refusals, r => r.Contains("not found", StringComparison.Ordinal));
        Assert.Contains((await PlanAsync("alias/ImportedCMK", WorkflowKind.ReimportBeforeExpiry)).Refusals, r => r.Contains("No escrowed material", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_plan_lists_every_step_with_the_destructive_step_behind_its_own_gate()
    {
        var plan = await PlanAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.ScheduleDeletion });

        Assert.True(plan.Allowed);
        Assert.Equal("alias/FirstCMK", Assert.Single(plan.Key.Aliases));
        Assert.Equal(StepKind.Gate, plan.Steps[0].Kind);
        var destructive = plan.Steps.Single(s => s.Name == "Schedule deletion of the old key");
        Assert.Equal(StepKind.Gate, plan.Steps[destructive.Index - 1].Kind);
        Assert.Contains(plan.Steps, s => s.Name == "Point the alias at the new key");
        Assert.Equal(2, plan.Steps.Count(s => s.Kind == StepKind.Gate));
        var keyId = (await _world.DescribeAsync("alias/FirstCMK")).KeyId;
        Assert.EndsWith($"Now: alias/FirstCMK points at {keyId}.", plan.Steps.Single(s => s.Name == "Point the alias at the new key").Description);
        Assert.EndsWith($"Now: the old key {keyId} is Enabled.", destructive.Description);
    }

    [Fact]
    public async Task The_plan_reads_against_the_current_rotation_state()
    {
        var (keyId, alias) = await _world.NewAwsKeyAsync();
        var off = await PlanAsync(alias, WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotateNow = true });
        Assert.EndsWith("Now: automatic rotation is off.", off.Steps.Single(s => s.Name == "Enable automatic rotation").Description);
        Assert.EndsWith("Now: 0 of the 25 on-demand rotations KMS allows per key are used.", off.Steps.Single(s => s.Name == "Rotate now").Description);

        await _world.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = keyId, RotationPeriodInDays = 400 });
        var on = await PlanAsync(alias, WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotationPeriodInDays = 200 });
        Assert.Contains("rotation is on, every 400 days", on.Steps.Single(s => s.Name == "Enable automatic rotation").Description);
        Assert.Contains("the period becomes 200 days", on.Steps.Single(s => s.Name == "Enable automatic rotation").Description);
    }

    [Fact]
    public async Task One_active_run_per_key_and_alias()
    {
        await _world.SubmitAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey);

        var byKey = await PlanAsync((await _world.DescribeAsync("alias/FirstCMK")).KeyId, WorkflowKind.EnableAutomaticRotation);
        Assert.False(byKey.Allowed);
        Assert.Contains(byKey.Refusals, r => r.Contains("already active", StringComparison.Ordinal));
        await Assert.ThrowsAsync<RotationRefusedException>(() => _world.SubmitAsync("alias/FirstCMK", WorkflowKind.AliasSwapNewKey));
    }

    [Fact]
    public void Workflows_offered_fit_the_key_origin_and_spec()
    {
        KeySummary Key(string origin, string spec, string state = "Enabled", params string[] aliases) =>
            new(RotationWorld.Target, "k", "arn", aliases, origin, spec, "ENCRYPT_DECRYPT", state, "", null, null);

        Assert.Equal([WorkflowKind.EnableAutomaticRotation, WorkflowKind.AliasSwapNewKey], _world.Requests.WorkflowsFor(Key("AWS_KMS", "SYMMETRIC_DEFAULT", "Enabled", "alias/a")));
        Assert.Equal([WorkflowKind.EnableAutomaticRotation], _world.Requests.WorkflowsFor(Key("AWS_KMS", "SYMMETRIC_DEFAULT")));
        Assert.Equal([WorkflowKind.AliasSwapImportedKey, WorkflowKind.NewMaterialInPlace, WorkflowKind.ReimportBeforeExpiry],
            _world.Requests.WorkflowsFor(Key("EXTERNAL", "SYMMETRIC_DEFAULT", "Enabled", "alias/b")));
        Assert.Equal([WorkflowKind.ReimportBeforeExpiry], _world.Requests.WorkflowsFor(Key("EXTERNAL", "SYMMETRIC_DEFAULT", "PendingImport", "alias/b")));
        Assert.Empty(_world.Requests.WorkflowsFor(Key("AWS_KMS", "SYMMETRIC_DEFAULT", "PendingDeletion", "alias/c")));
    }
}
