using Microsoft.Extensions.Time.Testing;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Keys;

public class KeyLifecycleTests
{
    [Fact]
    public async Task A_created_key_is_described_enabled_with_its_arn_and_symmetric_spec()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var created = await endpoint.Kms.CreateKeyAsync("payments");

        var described = await endpoint.Kms.DescribeAsync(created.KeyId);

        Assert.Equal($"arn:aws:kms:us-east-1:111122223333:key/{created.KeyId}", described.Arn);
        Assert.Equal(KeyState.Enabled, described.KeyState);
        Assert.True(described.Enabled);
        Assert.Equal("payments", described.Description);
        Assert.Equal(KeySpec.SYMMETRIC_DEFAULT, described.KeySpec);
        Assert.Equal(OriginType.AWS_KMS, described.Origin);
        Assert.Equal(KeyManagerType.CUSTOMER, described.KeyManager);
        Assert.Equal(64, described.CurrentKeyMaterialId.Length);
        Assert.InRange(described.CreationDate!.Value, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task The_seeded_world_has_FirstCMK_and_ImportedCMK()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(seed: true);

        var first = await endpoint.Kms.DescribeAsync("alias/FirstCMK");
        var imported = await endpoint.Kms.DescribeAsync("alias/ImportedCMK");

        Assert.Equal(OriginType.AWS_KMS, first.Origin);
        Assert.Equal(KeyState.Enabled, first.KeyState);
        Assert.Equal(OriginType.EXTERNAL, imported.Origin);
        Assert.Equal(KeyState.Enabled, imported.KeyState);
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE, imported.ExpirationModel);
        var ciphertext = await endpoint.Kms.EncryptTextAsync("alias/ImportedCMK", "hello");
        Assert.Equal("hello", await endpoint.Kms.DecryptTextAsync(ciphertext));
    }

    [Fact]
    public async Task Without_seed_the_endpoint_starts_empty()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(seed: false);

        var keys = await endpoint.Kms.ListKeysAsync(new ListKeysRequest());

        Assert.Empty(keys.Keys ?? []);
        var error = await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync("alias/FirstCMK"));
        Assert.Equal("NotFoundException", error.ErrorCode);
    }
}

public class KeyStateTests
{
    [Fact]
    public async Task A_disabled_key_refuses_encryption_with_DisabledException_and_works_again_when_enabled()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "before");

        await endpoint.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });

        Assert.Equal(KeyState.Disabled, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
        var encrypt = await Assert.ThrowsAsync<DisabledException>(() => endpoint.Kms.EncryptTextAsync(key.KeyId, "x"));
        Assert.Equal("DisabledException", encrypt.ErrorCode);
        Assert.Contains("is disabled", encrypt.Message);
        await Assert.ThrowsAsync<DisabledException>(() => endpoint.Kms.DecryptTextAsync(ciphertext));
        await Assert.ThrowsAsync<DisabledException>(() => endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256 }));
        await Assert.ThrowsAsync<DisabledException>(() => endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId }));

        await endpoint.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });
        Assert.Equal("before", await endpoint.Kms.DecryptTextAsync(ciphertext));
    }

    [Fact]
    public async Task Scheduling_deletion_puts_the_key_pending_deletion_and_refuses_its_use_with_KMSInvalidStateException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var scheduled = await endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });

        Assert.Equal(KeyState.PendingDeletion, scheduled.KeyState);
        Assert.Equal(7, scheduled.PendingWindowInDays);
        Assert.InRange(scheduled.DeletionDate!.Value, DateTime.UtcNow.AddDays(7).AddMinutes(-5), DateTime.UtcNow.AddDays(7).AddMinutes(5));
        var described = await endpoint.Kms.DescribeAsync(key.KeyId);
        Assert.Equal(KeyState.PendingDeletion, described.KeyState);
        Assert.Equal(7, described.PendingDeletionWindowInDays);
        var encrypt = await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.EncryptTextAsync(key.KeyId, "x"));
        Assert.Contains("pending deletion", encrypt.Message);
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId }));
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = key.KeyId, Description = "d" }));
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId }));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(31)]
    public async Task A_deletion_window_outside_7_to_30_days_is_a_ValidationException(int days)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = days }));

        Assert.Equal("ValidationException", error.ErrorCode);
        Assert.Equal(KeyState.Enabled, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task Cancelling_deletion_leaves_the_key_disabled()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 30 });

        var cancelled = await endpoint.Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key.KeyId });

        Assert.Equal(key.Arn, cancelled.KeyId);
        var described = await endpoint.Kms.DescribeAsync(key.KeyId);
        Assert.Equal(KeyState.Disabled, described.KeyState);
        Assert.Null(described.DeletionDate);
        var again = await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key.KeyId }));
        Assert.Contains("is not pending deletion", again.Message);
    }

    [Fact]
    public async Task When_the_deletion_window_ends_the_key_and_its_aliases_are_gone()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/doomed", TargetKeyId = key.KeyId });
        await endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });

        time.Advance(TimeSpan.FromDays(7).Add(TimeSpan.FromMinutes(1)));

        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync(key.KeyId));
        var aliases = await endpoint.Kms.ListAliasesAsync(new ListAliasesRequest());
        Assert.DoesNotContain(aliases.Aliases ?? [], a => a.AliasName == "alias/doomed");
        await endpoint.RestartAsync();
        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync(key.KeyId));
    }

    [Fact]
    public async Task UpdateKeyDescription_changes_what_DescribeKey_shows()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync("old");

        await endpoint.Kms.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = key.Arn, Description = "new" });

        Assert.Equal("new", (await endpoint.Kms.DescribeAsync(key.KeyId)).Description);
    }
}

public class KeyIdentifierTests
{
    [Fact]
    public async Task DescribeKey_accepts_key_id_key_arn_alias_name_and_alias_arn()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/named", TargetKeyId = key.KeyId });

        foreach (var identifier in new[] { key.KeyId, key.Arn, "alias/named", "arn:aws:kms:us-east-1:111122223333:alias/named" })
        {
            Assert.Equal(key.KeyId, (await endpoint.Kms.DescribeAsync(identifier)).KeyId);
        }
    }

    [Fact]
    public async Task Operations_that_take_only_key_ids_refuse_aliases()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/named", TargetKeyId = key.KeyId });

        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = "alias/named" }));
        await Assert.ThrowsAsync<InvalidArnException>(() => endpoint.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = "arn:aws:kms:us-east-1:111122223333:alias/named" }));
        Assert.Equal(KeyState.Enabled, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task Unknown_keys_are_NotFoundException_and_malformed_arns_InvalidArnException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var missing = await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync(Guid.NewGuid().ToString()));
        Assert.Equal("NotFoundException", missing.ErrorCode);
        var otherRegion = await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync($"arn:aws:kms:eu-west-1:111122223333:key/{Guid.NewGuid()}"));
        Assert.Equal("NotFoundException", otherRegion.ErrorCode);
        var malformed = await Assert.ThrowsAsync<InvalidArnException>(() => endpoint.Kms.DescribeAsync("arn:aws:kms:broken"));
        Assert.Equal("InvalidArnException", malformed.ErrorCode);
    }

    [Fact]
    public async Task ListKeys_pages_with_Limit_and_Marker_and_refuses_a_bad_marker()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await endpoint.Kms.CreateKeyAsync()).KeyId);
        }

        var first = await endpoint.Kms.ListKeysAsync(new ListKeysRequest { Limit = 3 });
        var second = await endpoint.Kms.ListKeysAsync(new ListKeysRequest { Limit = 3, Marker = first.NextMarker });

        Assert.True(first.Truncated);
        Assert.Equal(3, first.Keys.Count);
        Assert.False(second.Truncated);
        Assert.Equal(created.Order(), first.Keys.Concat(second.Keys).Select(k => k.KeyId).Order());
        Assert.All(first.Keys, k => Assert.Equal($"arn:aws:kms:us-east-1:111122223333:key/{k.KeyId}", k.KeyArn));
        await Assert.ThrowsAsync<InvalidMarkerException>(() => endpoint.Kms.ListKeysAsync(new ListKeysRequest { Marker = "garbage" }));
    }

    [Fact]
    public async Task RSA_keys_are_described_with_their_spec_and_OAEP_algorithms()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048);

        Assert.Equal(KeySpec.RSA_2048, key.KeySpec);
        Assert.Equal(KeyUsageType.ENCRYPT_DECRYPT, key.KeyUsage);
        Assert.Equal(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"], key.EncryptionAlgorithms);
    }

    [Fact]
    public async Task SM2_is_refused_outside_China_Regions_and_creates_nothing()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var error = await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.SM2, keyUsage: KeyUsageType.SIGN_VERIFY));

        Assert.Equal("KeySpec SM2 is not supported in this Region", error.Message);
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }
}
