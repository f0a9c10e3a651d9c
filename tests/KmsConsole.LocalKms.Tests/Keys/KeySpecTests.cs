using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Keys;

/// <summary>CreateKey's key spec × key usage rules and the DescribeKey fields AWS fills per spec (LocalStack's AWS-recorded snapshots).</summary>
public class KeySpecTests
{
    [Theory]
    [InlineData("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", "SYMMETRIC_DEFAULT")]
    [InlineData("RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", "RSAES_OAEP_SHA_1,RSAES_OAEP_SHA_256")]
    [InlineData("RSA_4096", "SIGN_VERIFY", "SigningAlgorithms",
        "RSASSA_PKCS1_V1_5_SHA_256,RSASSA_PKCS1_V1_5_SHA_384,RSASSA_PKCS1_V1_5_SHA_512,RSASSA_PSS_SHA_256,RSASSA_PSS_SHA_384,RSASSA_PSS_SHA_512")]
    [InlineData("ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms", "ECDSA_SHA_256")]
    [InlineData("ECC_NIST_P384", "SIGN_VERIFY", "SigningAlgorithms", "ECDSA_SHA_384")]
    [InlineData("ECC_NIST_P521", "SIGN_VERIFY", "SigningAlgorithms", "ECDSA_SHA_512")]
    [InlineData("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms", "ECDSA_SHA_256")]
    [InlineData("ECC_NIST_P521", "KEY_AGREEMENT", "KeyAgreementAlgorithms", "ECDH")]
    [InlineData("ECC_NIST_EDWARDS25519", "SIGN_VERIFY", "SigningAlgorithms", "ED25519_SHA_512,ED25519_PH_SHA_512")]
    [InlineData("ML_DSA_65", "SIGN_VERIFY", "SigningAlgorithms", "ML_DSA_SHAKE_256")]
    [InlineData("HMAC_512", "GENERATE_VERIFY_MAC", "MacAlgorithms", "HMAC_SHA_512")]
    public async Task Each_legal_spec_and_usage_is_described_with_the_algorithms_of_its_usage_only(string keySpec, string keyUsage, string listed, string algorithms)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var created = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: keyUsage);
        var described = await endpoint.Kms.DescribeAsync(created.KeyId);

        Assert.Equal(keySpec, described.KeySpec.Value);
#pragma warning disable CS0618 // AWS still fills the deprecated CustomerMasterKeySpec with the key spec.
        Assert.Equal(keySpec, described.CustomerMasterKeySpec.Value);
#pragma warning restore CS0618
        Assert.Equal(keyUsage, described.KeyUsage.Value);
        Assert.Equal(KeyManagerType.CUSTOMER, described.KeyManager);
        Assert.Equal(OriginType.AWS_KMS, described.Origin);
        Assert.False(described.MultiRegion);
        var lists = new Dictionary<string, List<string>?>
        {
            ["EncryptionAlgorithms"] = described.EncryptionAlgorithms,
            ["SigningAlgorithms"] = described.SigningAlgorithms,
            ["MacAlgorithms"] = described.MacAlgorithms,
            ["KeyAgreementAlgorithms"] = described.KeyAgreementAlgorithms,
        };
        foreach (var (name, list) in lists)
        {
            Assert.Equal(name == listed ? algorithms.Split(',') : [], list ?? []);
        }

        Assert.Equal(keySpec == "SYMMETRIC_DEFAULT", described.CurrentKeyMaterialId is not null);
    }

    [Theory]
    [InlineData("RSA_2048", "KEY_AGREEMENT")]
    [InlineData("RSA_3072", "GENERATE_VERIFY_MAC")]
    [InlineData("ECC_NIST_P256", "ENCRYPT_DECRYPT")]
    [InlineData("ECC_SECG_P256K1", "KEY_AGREEMENT")]
    [InlineData("HMAC_256", "SIGN_VERIFY")]
    [InlineData("SYMMETRIC_DEFAULT", "SIGN_VERIFY")]
    [InlineData("ECC_NIST_EDWARDS25519", "KEY_AGREEMENT")]
    [InlineData("ML_DSA_44", "ENCRYPT_DECRYPT")]
    [InlineData("SM2", "GENERATE_VERIFY_MAC")]
    public async Task An_illegal_spec_and_usage_is_a_ValidationException_before_any_unsupported_answer(string keySpec, string keyUsage)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var error = await Refusals.ValidationAsync(() => endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: keyUsage));

        Assert.Equal($"KeyUsage {keyUsage} is not compatible with KeySpec {keySpec}", error.Message);
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }

    [Theory]
    [InlineData("HMAC_256")]
    [InlineData("RSA_2048")]
    [InlineData("ECC_NIST_P256")]
    public async Task A_key_that_is_not_symmetric_needs_a_KeyUsage(string keySpec)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var error = await Refusals.ValidationAsync(() =>
            endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = keySpec }));

        Assert.Equal("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.", error.Message);
    }

    [Fact]
    public async Task The_deprecated_CustomerMasterKeySpec_creates_the_same_key_as_KeySpec()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

#pragma warning disable CS0618 // The deprecated member is what this test sends.
        var response = await endpoint.Kms.CreateKeyAsync(new CreateKeyRequest
        {
            CustomerMasterKeySpec = CustomerMasterKeySpec.ECC_NIST_P384,
            KeyUsage = KeyUsageType.SIGN_VERIFY,
        });
#pragma warning restore CS0618

        Assert.Equal(KeySpec.ECC_NIST_P384, response.KeyMetadata.KeySpec);
        Assert.Equal(["ECDSA_SHA_384"], response.KeyMetadata.SigningAlgorithms);
    }

    [Fact]
    public async Task Keys_of_every_kind_keep_their_spec_and_material_across_a_restart()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var specs = new (string Spec, string Usage)[]
        {
            ("ECC_NIST_P256", "SIGN_VERIFY"), ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"), ("ML_DSA_44", "SIGN_VERIFY"),
            ("ECC_NIST_P384", "KEY_AGREEMENT"), ("RSA_2048", "SIGN_VERIFY"),
        };
        var before = new List<(string KeyId, byte[] PublicKey)>();
        foreach (var (spec, usage) in specs)
        {
            var key = await endpoint.Kms.CreateKeyAsync(keySpec: spec, keyUsage: usage);
            before.Add((key.KeyId, await Crypto.SigningTests.PublicKeyAsync(endpoint.Kms, key.KeyId)));
        }

        await endpoint.RestartAsync();

        for (var i = 0; i < specs.Length; i++)
        {
            var described = await endpoint.Kms.DescribeAsync(before[i].KeyId);
            Assert.Equal(specs[i].Spec, described.KeySpec.Value);
            Assert.Equal(specs[i].Usage, described.KeyUsage.Value);
            Assert.Equal(before[i].PublicKey, await Crypto.SigningTests.PublicKeyAsync(endpoint.Kms, before[i].KeyId));
        }
    }
}
