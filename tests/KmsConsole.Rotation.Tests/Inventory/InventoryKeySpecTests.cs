using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Tests.Inventory;

public sealed class InventoryKeySpecTests
{
    [Fact]
    public async Task Sync_reads_signing_HMAC_and_key_agreement_keys_with_their_spec_and_usage_and_no_read_error()
    {
        await using var world = await RotationWorld.StartAsync();
        var kinds = new (KeySpec Spec, KeyUsageType Usage)[]
        {
            (KeySpec.ECC_NIST_P256, KeyUsageType.SIGN_VERIFY),
            (KeySpec.RSA_2048, KeyUsageType.SIGN_VERIFY),
            (KeySpec.HMAC_256, KeyUsageType.GENERATE_VERIFY_MAC),
            (KeySpec.ECC_NIST_P384, KeyUsageType.KEY_AGREEMENT),
            (KeySpec.ML_DSA_44, KeyUsageType.SIGN_VERIFY),
        };
        var created = new Dictionary<string, (KeySpec Spec, KeyUsageType Usage)>();
        foreach (var kind in kinds)
        {
            var key = await world.Kms.CreateKeyAsync(new CreateKeyRequest { Description = $"inventory {kind.Spec}", KeySpec = kind.Spec, KeyUsage = kind.Usage });
            created[key.KeyMetadata.KeyId] = kind;
        }

        await world.Inventory.SyncAsync(null);

        var all = await world.Inventory.QueryAsync(new KeyQuery { PageSize = 100 });
        foreach (var (keyId, kind) in created)
        {
            var snapshot = Assert.Single(all.Items, k => k.KeyId == keyId);
            Assert.Equal(kind.Spec.Value, snapshot.KeySpec);
            Assert.Equal(kind.Usage.Value, snapshot.KeyUsage);
            Assert.False(snapshot.CouldNotRead, snapshot.ReadErrorMessage);
            Assert.False(snapshot.RotationEnabled);
        }
    }
}
