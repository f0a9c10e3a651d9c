using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KmsConsole.LocalKms.Tests.Regions;

public class MultiRegionTests
{
    [Fact]
    public async Task A_multi_Region_key_has_an_mrk_id_and_describes_itself_as_primary_with_no_replicas()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var key = (await endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata;
        var single = await endpoint.Kms.CreateKeyAsync();

        Assert.Matches("^mrk-[0-9a-f]{32}$", key.KeyId);
        Assert.True(key.MultiRegion);
        Assert.Equal(MultiRegionKeyType.PRIMARY, key.MultiRegionConfiguration.MultiRegionKeyType);
        Assert.Equal("us-east-1", key.MultiRegionConfiguration.PrimaryKey.Region);
        Assert.Equal(key.Arn, key.MultiRegionConfiguration.PrimaryKey.Arn);
        Assert.Empty(key.MultiRegionConfiguration.ReplicaKeys ?? []);
        Assert.False(single.MultiRegion);
        Assert.Null(single.MultiRegionConfiguration);
    }

    [Fact]
    public async Task Each_Region_sees_only_its_own_keys_and_aliases()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        using var west = endpoint.ClientFor("us-west-2");
        var eastKey = await endpoint.Kms.CreateKeyAsync("east");
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/shared-name", TargetKeyId = eastKey.KeyId });
        var westKey = await west.CreateKeyAsync("west");
        await west.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/shared-name", TargetKeyId = westKey.KeyId });

        var byId = await Assert.ThrowsAsync<NotFoundException>(() => west.DescribeAsync(eastKey.KeyId));
        var byArn = await Assert.ThrowsAsync<NotFoundException>(() => west.DescribeAsync(eastKey.Arn));

        Assert.Equal($"Key 'arn:aws:kms:us-west-2:111122223333:key/{eastKey.KeyId}' does not exist", byId.Message);
        Assert.Equal("Invalid arn us-east-1", byArn.Message);
        Assert.StartsWith("arn:aws:kms:us-west-2:", westKey.Arn, StringComparison.Ordinal);
        Assert.Equal(westKey.KeyId, Assert.Single((await west.ListKeysAsync(new ListKeysRequest())).Keys).KeyId);
        Assert.Equal(eastKey.KeyId, Assert.Single((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys).KeyId);
        Assert.Equal(westKey.KeyId, (await west.DescribeAsync("alias/shared-name")).KeyId);
        Assert.Equal(eastKey.KeyId, (await endpoint.Kms.DescribeAsync("alias/shared-name")).KeyId);
    }

    [Fact]
    public async Task A_replica_shares_the_key_id_and_material_so_ciphertexts_decrypt_in_either_Region()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        using var west = endpoint.ClientFor("us-west-2");
        var primary = (await endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true, Description = "primary" })).KeyMetadata;
        var fromEast = await endpoint.Kms.EncryptTextAsync(primary.KeyId, "made in us-east-1", new Dictionary<string, string> { ["a"] = "b" });

        var replicated = await endpoint.Kms.ReplicateKeyAsync(new ReplicateKeyRequest
        {
            KeyId = primary.Arn,
            ReplicaRegion = "us-west-2",
            Tags = [new Tag { TagKey = "region", TagValue = "west" }],
        });
        var fromWest = await west.EncryptTextAsync(primary.KeyId, "made in us-west-2");

        Assert.Equal($"arn:aws:kms:us-west-2:111122223333:key/{primary.KeyId}", replicated.ReplicaKeyMetadata.Arn);
        Assert.Equal(KeyState.Creating, replicated.ReplicaKeyMetadata.KeyState);
        Assert.Equal(MultiRegionKeyType.REPLICA, replicated.ReplicaKeyMetadata.MultiRegionConfiguration.MultiRegionKeyType);
        Assert.Equal("", replicated.ReplicaKeyMetadata.Description);
        Assert.Contains("kms:*", replicated.ReplicaPolicy, StringComparison.Ordinal);
        Assert.Equal("west", Assert.Single(replicated.ReplicaTags).TagValue);
        Assert.Equal("made in us-east-1", await west.DecryptTextAsync(fromEast, new Dictionary<string, string> { ["a"] = "b" }));
        Assert.Equal("made in us-west-2", await endpoint.Kms.DecryptTextAsync(fromWest));
        var replica = await west.DescribeAsync(primary.KeyId);
        Assert.Equal(KeyState.Enabled, replica.KeyState);
        Assert.Equal(primary.CurrentKeyMaterialId, replica.CurrentKeyMaterialId);
        var primaryNow = await endpoint.Kms.DescribeAsync(primary.KeyId);
        Assert.Equal("us-west-2", Assert.Single(primaryNow.MultiRegionConfiguration.ReplicaKeys).Region);
    }

    [Fact]
    public async Task Rotating_the_primary_reaches_its_replicas_and_replicas_refuse_rotation_changes()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        using var west = endpoint.ClientFor("us-west-2");
        var primary = (await endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata;
        await endpoint.Kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = primary.KeyId, ReplicaRegion = "us-west-2" });

        await endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = primary.KeyId });
        var afterOnDemand = await west.DescribeAsync(primary.KeyId);
        await endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = primary.KeyId, RotationPeriodInDays = 90 });
        time.Advance(TimeSpan.FromDays(91));
        var afterAutomatic = await west.DescribeAsync(primary.KeyId);
        var replicaStatus = await west.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = primary.KeyId });
        var refused = await Assert.ThrowsAsync<UnsupportedOperationException>(() => west.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = primary.KeyId }));

        Assert.NotEqual(primary.CurrentKeyMaterialId, afterOnDemand.CurrentKeyMaterialId);
        Assert.Equal((await endpoint.Kms.DescribeAsync(primary.KeyId)).CurrentKeyMaterialId, afterAutomatic.CurrentKeyMaterialId);
        Assert.NotEqual(afterOnDemand.CurrentKeyMaterialId, afterAutomatic.CurrentKeyMaterialId);
        Assert.True(replicaStatus.KeyRotationEnabled);
        Assert.Equal(90, replicaStatus.RotationPeriodInDays);
        Assert.EndsWith("is not a multi-region primary key.", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replicating_a_replica_or_a_single_Region_key_or_twice_into_one_Region_is_refused()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        using var west = endpoint.ClientFor("us-west-2");
        var primary = (await endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata;
        var single = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = primary.KeyId, ReplicaRegion = "us-west-2" });

        var fromReplica = await Assert.ThrowsAsync<UnsupportedOperationException>(() => west.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = primary.KeyId, ReplicaRegion = "eu-west-1" }));
        var fromSingle = await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = single.KeyId, ReplicaRegion = "eu-west-1" }));
        await Assert.ThrowsAsync<AlreadyExistsException>(() => endpoint.Kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = primary.KeyId, ReplicaRegion = "us-west-2" }));

        Assert.Equal($"arn:aws:kms:us-west-2:111122223333:key/{primary.KeyId} is not a multi-region primary key.", fromReplica.Message);
        Assert.Equal($"{single.Arn} is not a multi-region primary key.", fromSingle.Message);
    }

    [Fact]
    public async Task UpdatePrimaryRegion_makes_the_replica_primary_and_the_old_primary_a_replica()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        using var west = endpoint.ClientFor("us-west-2");
        var key = (await endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata;
        await endpoint.Kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = key.KeyId, ReplicaRegion = "us-west-2" });

        await endpoint.Kms.UpdatePrimaryRegionAsync(new UpdatePrimaryRegionRequest { KeyId = key.KeyId, PrimaryRegion = "us-west-2" });
        await west.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });

        var east = await endpoint.Kms.DescribeAsync(key.KeyId);
        var westKey = await west.DescribeAsync(key.KeyId);
        Assert.Equal(MultiRegionKeyType.REPLICA, east.MultiRegionConfiguration.MultiRegionKeyType);
        Assert.Equal("us-west-2", east.MultiRegionConfiguration.PrimaryKey.Region);
        Assert.Equal("us-east-1", Assert.Single(east.MultiRegionConfiguration.ReplicaKeys).Region);
        Assert.Equal(MultiRegionKeyType.PRIMARY, westKey.MultiRegionConfiguration.MultiRegionKeyType);
        Assert.Equal(westKey.CurrentKeyMaterialId, east.CurrentKeyMaterialId);
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.UpdatePrimaryRegionAsync(new UpdatePrimaryRegionRequest { KeyId = key.KeyId, PrimaryRegion = "us-east-1" }));
    }

    [Fact]
    public async Task Replicas_and_other_Regions_survive_a_restart()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = (await endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata;
        await endpoint.Kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = key.KeyId, ReplicaRegion = "ap-southeast-1" });
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "kept");

        await endpoint.RestartAsync();

        using var asia = endpoint.ClientFor("ap-southeast-1");
        Assert.Equal("kept", await asia.DecryptTextAsync(ciphertext));
        Assert.Equal(MultiRegionKeyType.REPLICA, (await asia.DescribeAsync(key.KeyId)).MultiRegionConfiguration.MultiRegionKeyType);
        Assert.Equal("ap-southeast-1", Assert.Single((await endpoint.Kms.DescribeAsync(key.KeyId)).MultiRegionConfiguration.ReplicaKeys).Region);
    }
}
