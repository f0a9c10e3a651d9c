using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace KmsConsole.LocalKms.Tests.Crypto;

public class MacTests
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("invoice 2026-118, total 4 200 EUR");

    [Theory]
    [InlineData("HMAC_224", "HMAC_SHA_224", 28)]
    [InlineData("HMAC_256", "HMAC_SHA_256", 32)]
    [InlineData("HMAC_384", "HMAC_SHA_384", 48)]
    [InlineData("HMAC_512", "HMAC_SHA_512", 64)]
    public async Task GenerateMac_then_VerifyMac_accepts_the_mac_of_each_HMAC_key_spec(string keySpec, string algorithm, int macLength)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);

        var mac = await GenerateAsync(endpoint.Kms, key.KeyId, algorithm, Message);
        var verified = await endpoint.Kms.VerifyMacAsync(new VerifyMacRequest
        {
            KeyId = key.KeyId,
            MacAlgorithm = algorithm,
            Message = new MemoryStream(Message),
            Mac = new MemoryStream(mac),
        });

        Assert.Equal(macLength, mac.Length);
        Assert.True(verified.MacValid);
        Assert.Equal(key.Arn, verified.KeyId);
        Assert.Equal([algorithm], key.MacAlgorithms);
        Assert.Equal(KeyUsageType.GENERATE_VERIFY_MAC, key.KeyUsage);
        Assert.Empty(key.EncryptionAlgorithms ?? []);
        Assert.Null(key.CurrentKeyMaterialId);
    }

    [Fact]
    public async Task The_mac_of_imported_material_equals_HMAC_computed_outside_the_endpoint()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: KeySpec.HMAC_224, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);
        var material = RandomNumberGenerator.GetBytes(40);
        await endpoint.Kms.ImportAsync(key.KeyId, material);

        var mac224 = await GenerateAsync(endpoint.Kms, key.KeyId, "HMAC_SHA_224", Message);

        var reference = new HMac(new Sha224Digest());
        reference.Init(new KeyParameter(material));
        reference.BlockUpdate(Message, 0, Message.Length);
        var expected = new byte[28];
        reference.DoFinal(expected, 0);
        Assert.Equal(expected, mac224);
    }

    [Fact]
    public async Task The_mac_of_a_generated_HMAC_256_key_verifies_after_a_restart()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.HMAC_256, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);
        var mac = await GenerateAsync(endpoint.Kms, key.KeyId, "HMAC_SHA_256", Message);

        await endpoint.RestartAsync();

        Assert.Equal(mac, await GenerateAsync(endpoint.Kms, key.KeyId, "HMAC_SHA_256", Message));
        Assert.Equal(["HMAC_SHA_256"], (await endpoint.Kms.DescribeAsync(key.KeyId)).MacAlgorithms);
    }

    [Fact]
    public async Task A_mac_of_another_message_is_KMSInvalidMacException_and_another_algorithm_is_InvalidKeyUsageException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.HMAC_256, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);
        var mac = await GenerateAsync(endpoint.Kms, key.KeyId, "HMAC_SHA_256", Message);

        var invalid = await Assert.ThrowsAsync<KMSInvalidMacException>(() => endpoint.Kms.VerifyMacAsync(new VerifyMacRequest
        {
            KeyId = key.KeyId,
            MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256,
            Message = new MemoryStream(Encoding.UTF8.GetBytes("some different message")),
            Mac = new MemoryStream(mac),
        }));
        var incompatible = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => GenerateAsync(endpoint.Kms, key.KeyId, "HMAC_SHA_512", Message));

        Assert.Equal("KMSInvalidMacException", invalid.ErrorCode);
        Assert.Equal("Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.", incompatible.Message);
    }

    [Fact]
    public async Task GenerateMac_with_an_encryption_key_is_InvalidKeyUsageException_worded_as_AWS_words_it()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => GenerateAsync(endpoint.Kms, key.KeyId, "HMAC_SHA_256", Message));

        Assert.Equal($"{key.Arn} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.", error.Message);
    }

    [Fact]
    public async Task HMAC_keys_refuse_automatic_and_on_demand_rotation_with_UnsupportedOperationException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.HMAC_384, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);

        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId }));
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId }));
        Assert.False((await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId })).KeyRotationEnabled);
    }

    private static async Task<byte[]> GenerateAsync(IAmazonKeyManagementService kms, string keyId, string algorithm, byte[] message) =>
        (await kms.GenerateMacAsync(new GenerateMacRequest { KeyId = keyId, MacAlgorithm = algorithm, Message = new MemoryStream(message) })).Mac.ToArray();
}
