using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;

namespace KmsConsole.Rotation.Tests.Safety;

public sealed class MultiRegionSwapTests
{
    private const string West = "us-west-2";

    [Fact]
    public async Task A_swap_of_a_multi_Region_primary_replicates_the_new_key_and_moves_the_alias_in_both_Regions_old_ciphertexts_decrypt_in_each_and_a_roll_back_moves_both_back()
    {
        await using var world = await RotationWorld.StartAsync();
        using var west = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = world.Server.Endpoint.ToString(), AuthenticationRegion = West });
        var primary = (await world.Kms.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true, Description = "orders, every Region" })).KeyMetadata;
        await world.Kms.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = primary.KeyId, ReplicaRegion = West, Description = "orders, west" });
        const string Alias = "alias/orders";
        await world.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = Alias, TargetKeyId = primary.KeyId });
        await west.CreateAliasAsync(new CreateAliasRequest { AliasName = Alias, TargetKeyId = primary.KeyId });
        var east = await world.EncryptAsync(Alias, "encrypted in us-east-1");
        var westCiphertext = (await west.EncryptAsync(new EncryptRequest { KeyId = Alias, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes("encrypted in us-west-2")) }))
            .CiphertextBlob.ToArray();

        var plan = await world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, Alias, WorkflowKind.AliasSwapNewKey, new RotationParameters(), "yearly"));
        Assert.True(plan.Allowed, string.Join(" ", plan.Refusals));
        Assert.Contains(plan.Hazards, h => h.Id == "multi-region" && h.Evidence.Contains(West, StringComparison.Ordinal));
        var run = await world.SubmitAsync(Alias, WorkflowKind.AliasSwapNewKey);
        var done = await world.DriveAsync(run.Id);

        Assert.True(done.State == RunState.Succeeded, $"{done.State}: {done.Error}");
        var newKey = (await world.DescribeAsync(done.NewKeyId!));
        Assert.True(newKey.MultiRegion);
        Assert.StartsWith("mrk-", newKey.KeyId, StringComparison.Ordinal);
        Assert.Equal(West, Assert.Single(newKey.MultiRegionConfiguration.ReplicaKeys).Region);
        var westReplica = (await west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = newKey.KeyId })).KeyMetadata;
        Assert.Equal((KeyState.Enabled, "orders, west"), (westReplica.KeyState, westReplica.Description));
        Assert.Equal(newKey.KeyId, (await world.DescribeAsync(Alias)).KeyId);
        Assert.Equal(newKey.KeyId, (await west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = Alias })).KeyMetadata.KeyId);

        // Data encrypted before the swap decrypts in either Region (the old key and its replica stay).
        foreach (var (client, ciphertext, text) in new[] { (world.Kms, east, "encrypted in us-east-1"), (west, east, "encrypted in us-east-1"),
                     (world.Kms, westCiphertext, "encrypted in us-west-2"), (west, westCiphertext, "encrypted in us-west-2") })
        {
            var decrypted = await client.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(ciphertext) });
            Assert.Equal(text, Encoding.UTF8.GetString(decrypted.Plaintext.ToArray()));
        }

        var step = Assert.Single(done.Steps, s => s.Name == "Point the alias at the new key in the replicas' Regions");
        Assert.Contains($"{West}: moved", step.Output, StringComparison.Ordinal);

        // The roll back moves the alias back in every Region, the replica's too.
        var rollBack = await world.Requests.RequestRollBackAsync(RotationWorld.Alice, done.Id, "the new key breaks the west batch job");
        var undone = await world.DriveAsync(rollBack.Id);
        Assert.True(undone.State == RunState.Succeeded, $"{undone.State}: {undone.Error}");
        Assert.Equal(primary.KeyId, (await world.DescribeAsync(Alias)).KeyId);
        Assert.Equal(primary.KeyId, (await west.DescribeKeyAsync(new DescribeKeyRequest { KeyId = Alias })).KeyMetadata.KeyId);
        var back = Assert.Single(undone.Steps, s => s.Name == "Point the alias back in the replicas' Regions");
        Assert.Contains($"{West}: moved", back.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_swap_asked_on_a_replica_is_refused_naming_the_primary()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Targets[0].Region = West);
        using var east = RotationWorld.NewClient(world.Server);
        var primary = (await east.CreateKeyAsync(new CreateKeyRequest { MultiRegion = true })).KeyMetadata;
        await east.ReplicateKeyAsync(new ReplicateKeyRequest { KeyId = primary.KeyId, ReplicaRegion = West });
        using var west = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = world.Server.Endpoint.ToString(), AuthenticationRegion = West });
        await west.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/replica-only", TargetKeyId = primary.KeyId });

        var plan = await world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, "alias/replica-only", WorkflowKind.AliasSwapNewKey,
            new RotationParameters(), "yearly"));

        Assert.False(plan.Allowed);
        Assert.Contains(plan.Refusals, r => r.Contains("is a replica of the multi-Region key", StringComparison.Ordinal) && r.Contains("us-east-1", StringComparison.Ordinal));
    }
}
