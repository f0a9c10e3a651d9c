using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace KmsConsole.LocalKms.Tests.Crypto;

/// <summary>ML-KEM keys (ENCAPSULATE_DECAPSULATE) with Encapsulate and Decapsulate, checked with BouncyCastle outside the endpoint.</summary>
public class KeyEncapsulationTests
{
    [Theory]
    [InlineData("ML_KEM_512", 768)]
    [InlineData("ML_KEM_768", 1088)]
    [InlineData("ML_KEM_1024", 1568)]
    public async Task Encapsulate_gives_a_secret_that_Decapsulate_recovers(string keySpec, int ciphertextLength)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: KeyUsageType.ENCAPSULATE_DECAPSULATE);

        var encapsulated = await endpoint.Kms.EncapsulateAsync(new EncapsulateRequest { KeyId = key.KeyId, EncapsulationAlgorithm = EncapsulationAlgorithmSpec.ML_KEM });
        var decapsulated = await endpoint.Kms.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key.KeyId,
            EncapsulationAlgorithm = EncapsulationAlgorithmSpec.ML_KEM,
            SharedSecretCiphertextBlob = new MemoryStream(encapsulated.SharedSecretCiphertextBlob.ToArray()),
        });

        Assert.Equal(32, encapsulated.SharedSecret.Length);
        Assert.Equal(ciphertextLength, encapsulated.SharedSecretCiphertextBlob.Length);
        Assert.Equal(encapsulated.SharedSecret.ToArray(), decapsulated.SharedSecret.ToArray());
        Assert.Equal(key.Arn, encapsulated.KeyId);
        Assert.Equal(EncapsulationAlgorithmSpec.ML_KEM, decapsulated.EncapsulationAlgorithm);
        Assert.Equal(["ML_KEM"], key.EncapsulationAlgorithms);
        Assert.Empty(key.EncryptionAlgorithms ?? []);
    }

    [Fact]
    public async Task A_secret_encapsulated_outside_with_the_public_key_is_what_Decapsulate_recovers()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ML_KEM_768, keyUsage: KeyUsageType.ENCAPSULATE_DECAPSULATE);
        var publicKey = await endpoint.Kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId });
        var parsed = (MLKemPublicKeyParameters)PublicKeyFactory.CreateKey(publicKey.PublicKey.ToArray());
        var encapsulator = new MLKemEncapsulator(parsed.Parameters);
        encapsulator.Init(new ParametersWithRandom(parsed, new SecureRandom()));
        var ciphertext = new byte[encapsulator.EncapsulationLength];
        var secret = new byte[encapsulator.SecretLength];
        encapsulator.Encapsulate(ciphertext, 0, ciphertext.Length, secret, 0, secret.Length);

        var decapsulated = await endpoint.Kms.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key.KeyId,
            EncapsulationAlgorithm = EncapsulationAlgorithmSpec.ML_KEM,
            SharedSecretCiphertextBlob = new MemoryStream(ciphertext),
        });

        Assert.Equal(secret, decapsulated.SharedSecret.ToArray());
        Assert.Equal(["ML_KEM"], publicKey.EncapsulationAlgorithms);
        Assert.Equal(KeyUsageType.ENCAPSULATE_DECAPSULATE, publicKey.KeyUsage);
    }

    [Fact]
    public async Task A_ciphertext_of_the_wrong_length_is_InvalidCiphertextException_and_an_altered_one_gives_another_secret()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ML_KEM_512, keyUsage: KeyUsageType.ENCAPSULATE_DECAPSULATE);
        var encapsulated = await endpoint.Kms.EncapsulateAsync(new EncapsulateRequest { KeyId = key.KeyId, EncapsulationAlgorithm = EncapsulationAlgorithmSpec.ML_KEM });
        var altered = encapsulated.SharedSecretCiphertextBlob.ToArray();
        altered[10] ^= 0x01;

        await Assert.ThrowsAsync<InvalidCiphertextException>(() => endpoint.Kms.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key.KeyId,
            EncapsulationAlgorithm = EncapsulationAlgorithmSpec.ML_KEM,
            SharedSecretCiphertextBlob = new MemoryStream(altered[..100]),
        }));
        var rejected = await endpoint.Kms.DecapsulateAsync(new DecapsulateRequest
        {
            KeyId = key.KeyId,
            EncapsulationAlgorithm = EncapsulationAlgorithmSpec.ML_KEM,
            SharedSecretCiphertextBlob = new MemoryStream(altered),
        });

        Assert.Equal(32, rejected.SharedSecret.Length);
        Assert.NotEqual(encapsulated.SharedSecret.ToArray(), rejected.SharedSecret.ToArray());
    }

    [Fact]
    public async Task Encapsulate_refuses_a_key_of_another_usage_and_ML_KEM_refuses_other_usages()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var symmetric = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAsync<InvalidKeyUsageException>(() =>
            endpoint.Kms.EncapsulateAsync(new EncapsulateRequest { KeyId = symmetric.KeyId, EncapsulationAlgorithm = EncapsulationAlgorithmSpec.ML_KEM }));

        Assert.Equal($"{symmetric.Arn} key usage is ENCRYPT_DECRYPT which is not valid for Encapsulate.", error.Message);
        await Refusals.ValidationAsync(() => endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ML_KEM_768, keyUsage: KeyUsageType.SIGN_VERIFY));
    }
}
