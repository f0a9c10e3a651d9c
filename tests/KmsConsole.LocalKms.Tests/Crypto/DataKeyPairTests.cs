using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Crypto;

public class DataKeyPairTests
{
    private static readonly Dictionary<string, string> Context = new() { ["service"] = "signer" };

    [Theory]
    [InlineData("RSA_2048")]
    [InlineData("ECC_NIST_P384")]
    [InlineData("ECC_SECG_P256K1")]
    public async Task GenerateDataKeyPair_returns_a_matching_pair_whose_private_key_decrypts_under_the_key(string keyPairSpec)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var pair = await endpoint.Kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = key.KeyId, KeyPairSpec = keyPairSpec, EncryptionContext = Context });
        var decrypted = await endpoint.Kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(pair.PrivateKeyCiphertextBlob.ToArray()), EncryptionContext = Context });

        Assert.Equal(pair.PrivateKeyPlaintext.ToArray(), decrypted.Plaintext.ToArray());
        Assert.Equal(key.Arn, pair.KeyId);
        Assert.Equal(keyPairSpec, pair.KeyPairSpec.Value);
        Assert.Equal(key.CurrentKeyMaterialId, pair.KeyMaterialId);
        AssertPairMatches(keyPairSpec, pair.PrivateKeyPlaintext.ToArray(), pair.PublicKey.ToArray());
        await Assert.ThrowsAsync<InvalidCiphertextException>(() =>
            endpoint.Kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(pair.PrivateKeyCiphertextBlob.ToArray()) }));
    }

    [Fact]
    public async Task GenerateDataKeyPairWithoutPlaintext_returns_no_private_key_in_plaintext()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var pair = await endpoint.Kms.GenerateDataKeyPairWithoutPlaintextAsync(new GenerateDataKeyPairWithoutPlaintextRequest { KeyId = key.KeyId, KeyPairSpec = DataKeyPairSpec.ECC_NIST_P256 });
        var privateKey = await endpoint.Kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(pair.PrivateKeyCiphertextBlob.ToArray()) });

        AssertPairMatches("ECC_NIST_P256", privateKey.Plaintext.ToArray(), pair.PublicKey.ToArray());
        Assert.Equal(key.Arn, pair.KeyId);
    }

    [Fact]
    public async Task A_data_key_pair_needs_a_symmetric_encryption_key_and_DryRun_generates_nothing()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var signing = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);
        var rsa = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048);
        var symmetric = await endpoint.Kms.CreateKeyAsync();

        var wrongUsage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() =>
            endpoint.Kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = signing.KeyId, KeyPairSpec = DataKeyPairSpec.RSA_2048 }));
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() =>
            endpoint.Kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = rsa.KeyId, KeyPairSpec = DataKeyPairSpec.RSA_2048 }));
        var dryRun = await Assert.ThrowsAsync<DryRunOperationException>(() =>
            endpoint.Kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = symmetric.KeyId, KeyPairSpec = DataKeyPairSpec.RSA_2048, DryRun = true }));
        var sm2 = await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            endpoint.Kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = symmetric.KeyId, KeyPairSpec = DataKeyPairSpec.SM2 }));

        Assert.Equal($"{signing.Arn} key usage is SIGN_VERIFY which is not valid for GenerateDataKeyPair.", wrongUsage.Message);
        Assert.Equal("The request would have succeeded, but the DryRun option is set.", dryRun.Message);
        Assert.Equal("KeySpec SM2 is not supported in this Region", sm2.Message);
    }

    [Fact]
    public async Task An_Ed25519_data_key_pair_is_a_PKCS8_private_key_and_its_SubjectPublicKeyInfo()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var pair = await endpoint.Kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = key.KeyId, KeyPairSpec = DataKeyPairSpec.ECC_NIST_EDWARDS25519 });

        var privateKey = Assert.IsType<Org.BouncyCastle.Crypto.Parameters.Ed25519PrivateKeyParameters>(
            Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(pair.PrivateKeyPlaintext.ToArray()));
        var publicKey = Assert.IsType<Org.BouncyCastle.Crypto.Parameters.Ed25519PublicKeyParameters>(
            Org.BouncyCastle.Security.PublicKeyFactory.CreateKey(pair.PublicKey.ToArray()));
        Assert.Equal(privateKey.GeneratePublicKey().GetEncoded(), publicKey.GetEncoded());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(1024)]
    public async Task GenerateRandom_returns_as_many_bytes_as_asked(int count)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var first = await endpoint.Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = count });
        var second = await endpoint.Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = count });

        Assert.Equal(count, first.Plaintext.Length);
        if (count >= 32)
        {
            Assert.NotEqual(first.Plaintext.ToArray(), second.Plaintext.ToArray());
        }
    }

    [Fact]
    public async Task GenerateRandom_without_a_length_or_outside_1_to_1024_is_a_ValidationException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var missing = await Refusals.ValidationAsync(() => endpoint.Kms.GenerateRandomAsync(new GenerateRandomRequest()));
        foreach (var outside in new[] { 0, 1025 })
        {
            // The SDK refuses these itself; the endpoint must refuse them too.
            var (status, body, _) = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService.GenerateRandom", $"{{\"NumberOfBytes\":{outside}}}");
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
            Assert.Equal("ValidationException", body.GetProperty("__type").GetString());
        }
        await Assert.ThrowsAsync<CustomKeyStoreNotFoundException>(() =>
            endpoint.Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 8, CustomKeyStoreId = "cks-1234567890abcdef0" }));

        Assert.Equal("NumberOfBytes is required.", missing.Message);
    }

    private static void AssertPairMatches(string keyPairSpec, byte[] privateKeyPkcs8, byte[] publicKeySpki)
    {
        var message = Encoding.UTF8.GetBytes("pair check");
        if (keyPairSpec.StartsWith("RSA", StringComparison.Ordinal))
        {
            using var signer = RSA.Create();
            signer.ImportPkcs8PrivateKey(privateKeyPkcs8, out _);
            using var verifier = RSA.Create();
            verifier.ImportSubjectPublicKeyInfo(publicKeySpki, out _);
            Assert.True(verifier.VerifyData(message, signer.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pss), HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        }
        else
        {
            using var signer = ECDsa.Create();
            signer.ImportPkcs8PrivateKey(privateKeyPkcs8, out _);
            using var verifier = ECDsa.Create();
            verifier.ImportSubjectPublicKeyInfo(publicKeySpki, out _);
            Assert.True(verifier.VerifyData(message, signer.SignData(message, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
        }
    }
}
