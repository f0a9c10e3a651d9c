using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Crypto;

public class EncryptionTests
{
    private static readonly Dictionary<string, string> Context = new() { ["purpose"] = "payroll", ["tenant"] = "7" };

    [Fact]
    public async Task Encrypt_then_Decrypt_returns_the_plaintext_the_key_arn_and_the_material_id()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var encrypted = await endpoint.Kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId,
            Plaintext = new MemoryStream(Encoding.UTF8.GetBytes("secret payroll")),
            EncryptionContext = Context,
        });
        var decrypted = await endpoint.Kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(encrypted.CiphertextBlob.ToArray()),
            EncryptionContext = new Dictionary<string, string>(Context.Reverse()),
        });

        Assert.Equal(key.Arn, encrypted.KeyId);
        Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, encrypted.EncryptionAlgorithm);
        Assert.DoesNotContain("secret payroll", Encoding.UTF8.GetString(encrypted.CiphertextBlob.ToArray()));
        Assert.Equal("secret payroll", Encoding.UTF8.GetString(decrypted.Plaintext.ToArray()));
        Assert.Equal(key.Arn, decrypted.KeyId);
        Assert.Equal(key.CurrentKeyMaterialId, decrypted.KeyMaterialId);
    }

    [Fact]
    public async Task A_different_encryption_context_is_InvalidCiphertextException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "bound", Context);

        var wrongValue = await Assert.ThrowsAsync<InvalidCiphertextException>(() =>
            endpoint.Kms.DecryptTextAsync(ciphertext, new Dictionary<string, string> { ["purpose"] = "payroll", ["tenant"] = "8" }));
        var missing = await Assert.ThrowsAsync<InvalidCiphertextException>(() => endpoint.Kms.DecryptTextAsync(ciphertext));

        Assert.Equal("InvalidCiphertextException", wrongValue.ErrorCode);
        Assert.Equal("InvalidCiphertextException", missing.ErrorCode);
        Assert.Equal("bound", await endpoint.Kms.DecryptTextAsync(ciphertext, Context));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(45)]
    [InlineData(-1)]
    public async Task A_changed_byte_anywhere_in_the_ciphertext_is_InvalidCiphertextException(int position)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "tamper me");

        ciphertext[position < 0 ? ciphertext.Length - 1 : position] ^= 0x01;

        var error = await Assert.ThrowsAsync<InvalidCiphertextException>(() => endpoint.Kms.DecryptTextAsync(ciphertext));
        Assert.Equal("InvalidCiphertextException", error.ErrorCode);
    }

    [Fact]
    public async Task Decrypt_naming_another_key_than_the_ciphertexts_is_IncorrectKeyException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var other = await endpoint.Kms.CreateKeyAsync();
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "mine");

        var error = await Assert.ThrowsAsync<IncorrectKeyException>(() => endpoint.Kms.DecryptTextAsync(ciphertext, keyId: other.KeyId));

        Assert.Equal("IncorrectKeyException", error.ErrorCode);
        Assert.Equal("mine", await endpoint.Kms.DecryptTextAsync(ciphertext, keyId: key.Arn));
    }

    [Fact]
    public async Task GenerateDataKey_returns_a_data_key_whose_ciphertext_decrypts_to_it()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var dataKey = await endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256, EncryptionContext = Context });
        var decrypted = await endpoint.Kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(dataKey.CiphertextBlob.ToArray()), EncryptionContext = Context });
        var shortKey = await endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, NumberOfBytes = 16 });

        Assert.Equal(32, dataKey.Plaintext.Length);
        Assert.Equal(dataKey.Plaintext.ToArray(), decrypted.Plaintext.ToArray());
        Assert.Equal(key.Arn, dataKey.KeyId);
        Assert.Equal(16, shortKey.Plaintext.Length);
    }

    [Fact]
    public async Task GenerateDataKeyWithoutPlaintext_returns_only_the_encrypted_data_key()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var dataKey = await endpoint.Kms.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_128 });
        var decrypted = await endpoint.Kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(dataKey.CiphertextBlob.ToArray()) });

        Assert.Equal(16, decrypted.Plaintext.Length);
        Assert.Equal(key.Arn, dataKey.KeyId);
    }

    [Fact]
    public async Task GenerateDataKey_needs_exactly_one_of_KeySpec_and_NumberOfBytes()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var neither = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId }));
        var both = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256, NumberOfBytes = 32 }));

        Assert.Equal("ValidationException", neither.ErrorCode);
        Assert.Equal("ValidationException", both.ErrorCode);
    }

    [Fact]
    public async Task ReEncrypt_moves_a_ciphertext_to_another_key_and_context()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var source = await endpoint.Kms.CreateKeyAsync();
        var destination = await endpoint.Kms.CreateKeyAsync();
        var ciphertext = await endpoint.Kms.EncryptTextAsync(source.KeyId, "moving", Context);
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/destination", TargetKeyId = destination.KeyId });

        var reencrypted = await endpoint.Kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(ciphertext),
            SourceEncryptionContext = Context,
            DestinationKeyId = "alias/destination",
            DestinationEncryptionContext = new Dictionary<string, string> { ["stage"] = "2" },
        });

        Assert.Equal(source.Arn, reencrypted.SourceKeyId);
        Assert.Equal(destination.Arn, reencrypted.KeyId);
        Assert.Equal(source.CurrentKeyMaterialId, reencrypted.SourceKeyMaterialId);
        Assert.Equal(destination.CurrentKeyMaterialId, reencrypted.DestinationKeyMaterialId);
        Assert.Equal("moving", await endpoint.Kms.DecryptTextAsync(reencrypted.CiphertextBlob.ToArray(), new Dictionary<string, string> { ["stage"] = "2" }));
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => endpoint.Kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(ciphertext),
            DestinationKeyId = destination.KeyId,
        }));
    }

    [Theory]
    [InlineData("RSAES_OAEP_SHA_1")]
    [InlineData("RSAES_OAEP_SHA_256")]
    public async Task RSA_keys_encrypt_and_decrypt_with_OAEP(string algorithm)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048);

        var encrypted = await endpoint.Kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1, 2, 3, 4]), EncryptionAlgorithm = algorithm });
        var decrypted = await endpoint.Kms.DecryptAsync(new DecryptRequest { KeyId = key.KeyId, CiphertextBlob = new MemoryStream(encrypted.CiphertextBlob.ToArray()), EncryptionAlgorithm = algorithm });

        Assert.Equal(256, encrypted.CiphertextBlob.Length);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, decrypted.Plaintext.ToArray());
    }

    [Fact]
    public async Task Algorithms_that_do_not_fit_the_key_are_InvalidKeyUsageException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var rsa = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048);
        var symmetric = await endpoint.Kms.CreateKeyAsync();

        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => endpoint.Kms.EncryptAsync(new EncryptRequest { KeyId = rsa.KeyId, Plaintext = new MemoryStream([1]) }));
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = rsa.KeyId, KeySpec = DataKeySpec.AES_256 }));
        await Assert.ThrowsAsync<InvalidKeyUsageException>(() => endpoint.Kms.EncryptAsync(new EncryptRequest
        {
            KeyId = symmetric.KeyId,
            Plaintext = new MemoryStream([1]),
            EncryptionAlgorithm = EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256,
        }));
    }

    [Fact]
    public async Task DryRun_checks_the_request_and_answers_DryRunOperationException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAsync<DryRunOperationException>(() =>
            endpoint.Kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream([1]), DryRun = true }));

        Assert.Equal("DryRunOperationException", error.ErrorCode);
    }
}
