using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KmsConsole.LocalKms.Tests.Rotation;

public class RotationTests
{
    [Fact]
    public async Task EnableKeyRotation_schedules_the_next_rotation_one_period_ahead()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        var key = await endpoint.Kms.CreateKeyAsync();

        var before = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = 90 });
        var after = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId });
        var defaulted = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });

        Assert.False(before.KeyRotationEnabled);
        Assert.True(after.KeyRotationEnabled);
        Assert.Equal(90, after.RotationPeriodInDays);
        Assert.Equal(time.GetUtcNow().AddDays(90).UtcDateTime, after.NextRotationDate!.Value, TimeSpan.FromSeconds(1));
        Assert.Equal(365, defaulted.RotationPeriodInDays);
        Assert.Equal(time.GetUtcNow().AddDays(365).UtcDateTime, defaulted.NextRotationDate!.Value, TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData(89)]
    [InlineData(2561)]
    public async Task A_rotation_period_outside_90_to_2560_days_is_a_ValidationException(int days)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = days }));

        Assert.Equal("ValidationException", error.ErrorCode);
        Assert.False((await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId })).KeyRotationEnabled);
    }

    [Fact]
    public async Task DisableKeyRotation_turns_automatic_rotation_off()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId });

        await endpoint.Kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = key.KeyId });

        var status = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        Assert.False(status.KeyRotationEnabled);
        Assert.Null(status.NextRotationDate);
    }

    [Fact]
    public async Task When_the_next_rotation_date_passes_the_key_rotates_and_old_ciphertexts_still_decrypt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = 90 });
        var old = await endpoint.Kms.EncryptTextAsync(key.KeyId, "from before the rotation");

        time.Advance(TimeSpan.FromDays(91));

        var rotations = await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId });
        var rotation = Assert.Single(rotations.Rotations);
        Assert.Equal(RotationType.AUTOMATIC, rotation.RotationType);
        Assert.Equal(KeyMaterialState.CURRENT, rotation.KeyMaterialState);
        Assert.NotEqual(key.CurrentKeyMaterialId, rotation.KeyMaterialId);
        var described = await endpoint.Kms.DescribeAsync(key.KeyId);
        Assert.Equal(rotation.KeyMaterialId, described.CurrentKeyMaterialId);
        Assert.Equal("from before the rotation", await endpoint.Kms.DecryptTextAsync(old));
        var fresh = await endpoint.Kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(await endpoint.Kms.EncryptTextAsync(key.KeyId, "new")) });
        Assert.Equal(rotation.KeyMaterialId, fresh.KeyMaterialId);
        var status = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        Assert.Equal(time.GetUtcNow().AddDays(-1).AddDays(90).UtcDateTime, status.NextRotationDate!.Value, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task The_periodic_sweep_rotates_keys_nobody_touches()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = 90 });
        var ring = endpoint.Server.Services.GetService(typeof(KmsConsole.LocalKms.Keys.KeyRing)) as KmsConsole.LocalKms.Keys.KeyRing;

        time.Advance(TimeSpan.FromDays(90) + TimeSpan.FromMinutes(2));

        lock (ring!.Gate)
        {
            var stored = ring.Keys.Single(k => k.KeyId == key.KeyId);
            Assert.Equal(2, stored.Materials.Count);
        }
    }

    [Fact]
    public async Task RotateKeyOnDemand_adds_material_and_keeps_every_older_ciphertext_decryptable()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var ciphertexts = new List<byte[]> { await endpoint.Kms.EncryptTextAsync(key.KeyId, "generation 0") };

        for (var i = 1; i <= 3; i++)
        {
            var rotated = await endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });
            Assert.Equal(key.Arn, rotated.KeyId);
            ciphertexts.Add(await endpoint.Kms.EncryptTextAsync(key.KeyId, $"generation {i}"));
        }

        for (var i = 0; i <= 3; i++)
        {
            Assert.Equal($"generation {i}", await endpoint.Kms.DecryptTextAsync(ciphertexts[i]));
        }

        var onlyRotations = await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId });
        var all = await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL });
        Assert.Equal(3, onlyRotations.Rotations.Count);
        Assert.All(onlyRotations.Rotations, r => Assert.Equal(RotationType.ON_DEMAND, r.RotationType));
        Assert.Equal(4, all.Rotations.Count);
        Assert.Single(all.Rotations, r => r.KeyMaterialState == KeyMaterialState.CURRENT);
        Assert.Equal(3, all.Rotations.Count(r => r.KeyMaterialState == KeyMaterialState.NON_CURRENT));
        Assert.Contains(all.Rotations, r => r.KeyMaterialId == key.CurrentKeyMaterialId && r.RotationDate is null);
    }

    [Fact]
    public async Task The_26th_on_demand_rotation_is_LimitExceededException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        for (var i = 0; i < 25; i++)
        {
            await endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });
        }

        var error = await Assert.ThrowsAsync<LimitExceededException>(() => endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId }));

        Assert.Equal("LimitExceededException", error.ErrorCode);
        var rotations = await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId, Limit = 1000 });
        Assert.Equal(25, rotations.Rotations.Count);
    }

    [Fact]
    public async Task RSA_keys_refuse_rotation_with_UnsupportedOperationException_and_read_as_not_rotating()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_4096);

        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId }));
        Assert.False((await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId })).KeyRotationEnabled);
    }

    [Fact]
    public async Task Keys_with_imported_material_refuse_automatic_rotation_with_UnsupportedOperationException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(seed: true);

        var imported = await endpoint.Kms.DescribeAsync("alias/ImportedCMK");

        var error = await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = imported.KeyId }));

        Assert.Contains("EXTERNAL", error.Message);
        Assert.False((await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = imported.KeyId })).KeyRotationEnabled);
    }

    [Fact]
    public async Task A_disabled_key_refuses_on_demand_rotation_with_DisabledException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });

        await Assert.ThrowsAsync<DisabledException>(() => endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId }));
    }

    [Fact]
    public async Task While_pending_deletion_the_rotation_status_reads_false_and_cancelling_restores_it()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId });
        await endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });

        var pending = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        await endpoint.Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key.KeyId });
        var restored = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });

        Assert.False(pending.KeyRotationEnabled);
        Assert.True(restored.KeyRotationEnabled);
    }

    [Fact]
    public async Task A_disabled_key_does_not_rotate_and_rotates_once_when_enabled_after_its_date()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = 90 });
        await endpoint.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });

        time.Advance(TimeSpan.FromDays(200));
        var whileDisabled = await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId });
        await endpoint.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });

        Assert.Empty(whileDisabled.Rotations ?? []);
        var rotation = Assert.Single((await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId })).Rotations);
        Assert.Equal(time.GetUtcNow().UtcDateTime, rotation.RotationDate!.Value, TimeSpan.FromSeconds(1));
        var status = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        Assert.Equal(time.GetUtcNow().AddDays(90).UtcDateTime, status.NextRotationDate!.Value, TimeSpan.FromSeconds(1));
    }
}
