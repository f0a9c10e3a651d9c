using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.External.Endpoints;

namespace KmsConsole.LocalKms.Tests.External.CrossCheck;

public sealed class CryptoCrossCheckTests(ExternalEndpointsFixture endpoints) : CrossCheckTests(endpoints)
{
    private static readonly Dictionary<string, string> Context = new() { ["app"] = "kmsconsole", ["purpose"] = "cross-check" };

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Encrypt_then_Decrypt_returns_the_plaintext_with_and_without_context(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var plaintext = Secret("the quick brown fox");

        var plain = await EncryptAsync(target, key.KeyId, plaintext);
        var bound = await EncryptAsync(target, key.Arn, plaintext, Context);

        Assert.NotEqual(plaintext, plain);
        Assert.NotEqual(plain, bound);
        var decrypted = await DecryptAsync(target, plain);
        Assert.Equal(plaintext, decrypted.Plaintext.ToArray());
        Assert.Equal(key.Arn, decrypted.KeyId);
        var decryptedBound = await DecryptAsync(target, bound, new Dictionary<string, string>(Context.Reverse()));
        Assert.Equal(plaintext, decryptedBound.Plaintext.ToArray());
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Encrypt_and_Decrypt_answer_with_key_arn_and_algorithm(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto's Encrypt and Decrypt responses carry no EncryptionAlgorithm; AWS returns SYMMETRIC_DEFAULT for a symmetric key.");
        var key = await NewKeyAsync(target);

        var encrypted = await target.Kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream(Secret("x")) });
        var decrypted = await DecryptAsync(target, encrypted.CiphertextBlob.ToArray());

        Assert.Equal(key.Arn, encrypted.KeyId);
        Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, encrypted.EncryptionAlgorithm);
        Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, decrypted.EncryptionAlgorithm);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Decrypt_with_a_wrong_or_missing_encryption_context_is_InvalidCiphertextException(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var ciphertext = await EncryptAsync(target, key.KeyId, Secret("bound"), Context);

        await AssertRefusedAsync("InvalidCiphertextException", () => DecryptAsync(target, ciphertext));
        await AssertRefusedAsync("InvalidCiphertextException", () =>
            DecryptAsync(target, ciphertext, new Dictionary<string, string> { ["app"] = "kmsconsole", ["purpose"] = "other" }));
        await AssertRefusedAsync("InvalidCiphertextException", () =>
            DecryptAsync(target, ciphertext, new Dictionary<string, string>(Context) { ["extra"] = "1" }));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Decrypt_of_a_tampered_ciphertext_is_InvalidCiphertextException(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var ciphertext = await EncryptAsync(target, key.KeyId, Secret("authentic"));

        var tampered = (byte[])ciphertext.Clone();
        tampered[^1] ^= 0x01;

        await AssertRefusedAsync("InvalidCiphertextException", () => DecryptAsync(target, tampered));
        Assert.Equal(Secret("authentic"), (await DecryptAsync(target, ciphertext)).Plaintext.ToArray());
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Decrypt_naming_another_key_is_IncorrectKeyException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto answers a Decrypt whose KeyId is not the encrypting key with AccessDeniedException; AWS documents IncorrectKeyException.");
        var key = await NewKeyAsync(target);
        var other = await NewKeyAsync(target);
        var ciphertext = await EncryptAsync(target, key.KeyId, Secret("mine"));

        await AssertRefusedAsync("IncorrectKeyException", () => DecryptAsync(target, ciphertext, keyId: other.KeyId));
        Assert.Equal(Secret("mine"), (await DecryptAsync(target, ciphertext, keyId: key.KeyId)).Plaintext.ToArray());
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task ReEncrypt_moves_a_ciphertext_to_the_destination_key_and_context(string name)
    {
        var target = Target(name);
        var source = await NewKeyAsync(target);
        var destination = await NewKeyAsync(target);
        var ciphertext = await EncryptAsync(target, source.KeyId, Secret("moving"), Context);
        var destinationContext = new Dictionary<string, string> { ["stage"] = "re-encrypted" };

        var moved = await target.Kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(ciphertext),
            SourceEncryptionContext = Context,
            DestinationKeyId = destination.KeyId,
            DestinationEncryptionContext = destinationContext,
        });

        Assert.Equal(source.Arn, moved.SourceKeyId);
        Assert.Equal(destination.Arn, moved.KeyId);
        var decrypted = await DecryptAsync(target, moved.CiphertextBlob.ToArray(), destinationContext);
        Assert.Equal(destination.Arn, decrypted.KeyId);
        Assert.Equal(Secret("moving"), decrypted.Plaintext.ToArray());
        await AssertRefusedAsync("InvalidCiphertextException", () => DecryptAsync(target, moved.CiphertextBlob.ToArray(), Context));
        await AssertRefusedAsync("InvalidCiphertextException", () => target.Kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(ciphertext),
            DestinationKeyId = destination.KeyId,
        }));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task GenerateDataKey_returns_a_data_key_whose_ciphertext_decrypts_to_it(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);

        var aes256 = await target.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest
        {
            KeyId = key.KeyId,
            KeySpec = DataKeySpec.AES_256,
            EncryptionContext = Context,
        });
        var aes128 = await target.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.Arn, KeySpec = DataKeySpec.AES_128 });
        var bytes64 = await target.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, NumberOfBytes = 64 });
        var withoutPlaintext = await target.Kms.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest
        {
            KeyId = key.KeyId,
            KeySpec = DataKeySpec.AES_256,
        });

        Assert.Equal(32, aes256.Plaintext.Length);
        Assert.Equal(16, aes128.Plaintext.Length);
        Assert.Equal(64, bytes64.Plaintext.Length);
        Assert.Equal(key.Arn, aes256.KeyId);
        Assert.Equal(aes256.Plaintext.ToArray(), (await DecryptAsync(target, aes256.CiphertextBlob.ToArray(), Context)).Plaintext.ToArray());
        Assert.Equal(aes128.Plaintext.ToArray(), (await DecryptAsync(target, aes128.CiphertextBlob.ToArray())).Plaintext.ToArray());
        Assert.Equal(32, (await DecryptAsync(target, withoutPlaintext.CiphertextBlob.ToArray())).Plaintext.Length);
        Assert.NotEqual(aes256.Plaintext.ToArray(), (await target.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest
        {
            KeyId = key.KeyId,
            KeySpec = DataKeySpec.AES_256,
        })).Plaintext.ToArray());
    }
}
