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
