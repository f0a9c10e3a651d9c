using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Crypto;

public class RsaEncryptionTests
{
    /// <summary>The bounds of LocalStack's AWS-recorded snapshots (test_encrypt_validate_plaintext_size_per_key_type).</summary>
    [Theory]
    [InlineData("RSA_2048", "RSAES_OAEP_SHA_1", 214)]
    [InlineData("RSA_2048", "RSAES_OAEP_SHA_256", 190)]
    [InlineData("RSA_3072", "RSAES_OAEP_SHA_1", 342)]
    [InlineData("RSA_3072", "RSAES_OAEP_SHA_256", 318)]
    [InlineData("RSA_4096", "RSAES_OAEP_SHA_1", 470)]
    [InlineData("RSA_4096", "RSAES_OAEP_SHA_256", 446)]
    public async Task RSA_OAEP_encrypts_up_to_AWS_s_bound_and_refuses_one_byte_more_naming_it(string keySpec, string algorithm, int largest)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec);
        var plaintext = RandomNumberGenerator.GetBytes(largest);

        var encrypted = await endpoint.Kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream(plaintext), EncryptionAlgorithm = algorithm });
        var error = await Refusals.ValidationAsync(() => endpoint.Kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId,
            Plaintext = new MemoryStream(RandomNumberGenerator.GetBytes(largest + 1)),
            EncryptionAlgorithm = algorithm,
        }));

        Assert.Equal($"Algorithm {algorithm} and key spec {keySpec} cannot encrypt data larger than {largest} bytes.", error.Message);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(await SigningTests.PublicKeyAsync(endpoint.Kms, key.KeyId), out _);
        var decrypted = await endpoint.Kms.DecryptAsync(new DecryptRequest
        {
            KeyId = key.KeyId,
            CiphertextBlob = new MemoryStream(encrypted.CiphertextBlob.ToArray()),
            EncryptionAlgorithm = algorithm,
        });
        Assert.Equal(plaintext, decrypted.Plaintext.ToArray());
        Assert.Equal(rsa.KeySize / 8, encrypted.CiphertextBlob.Length);
    }

    [Fact]
    public async Task A_ciphertext_made_outside_KMS_with_the_public_key_decrypts_inside()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_3072);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(await SigningTests.PublicKeyAsync(endpoint.Kms, key.KeyId), out _);
        var plaintext = RandomNumberGenerator.GetBytes(100);

        var decrypted = await endpoint.Kms.DecryptAsync(new DecryptRequest
        {
            KeyId = key.KeyId,
            CiphertextBlob = new MemoryStream(rsa.Encrypt(plaintext, RSAEncryptionPadding.OaepSHA256)),
            EncryptionAlgorithm = EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256,
        });

        Assert.Equal(plaintext, decrypted.Plaintext.ToArray());
        Assert.Equal(key.Arn, decrypted.KeyId);
    }
}
