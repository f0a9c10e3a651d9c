using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace KmsConsole.LocalKms.Tests.Crypto;

/// <summary>Signatures made by the endpoint, checked with System.Security.Cryptography (and BouncyCastle for Ed25519 and ML-DSA) against GetPublicKey.</summary>
public class SigningTests
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("release 4.2 approved by the change board");

    [Theory]
    [InlineData("RSA_2048", "RSASSA_PSS_SHA_256")]
    [InlineData("RSA_2048", "RSASSA_PSS_SHA_384")]
    [InlineData("RSA_3072", "RSASSA_PSS_SHA_512")]
    [InlineData("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256")]
    [InlineData("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384")]
    [InlineData("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512")]
    public async Task RSA_signatures_verify_outside_the_endpoint_with_the_public_key(string keySpec, string algorithm)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: KeyUsageType.SIGN_VERIFY);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(await PublicKeyAsync(endpoint.Kms, key.KeyId), out _);
        var (hash, padding) = RsaParameters(algorithm);

        var raw = await SignAsync(endpoint.Kms, key.KeyId, algorithm, Message, MessageType.RAW);
        var digest = await SignAsync(endpoint.Kms, key.KeyId, algorithm, Hash(hash, Message), MessageType.DIGEST);

        Assert.True(rsa.VerifyData(Message, raw, hash, padding));
        Assert.True(rsa.VerifyData(Message, digest, hash, padding));
        Assert.False(rsa.VerifyData(Encoding.UTF8.GetBytes("another message"), raw, hash, padding));
    }

    [Fact]
    public async Task RSASSA_PSS_uses_a_salt_as_long_as_the_hash()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048, keyUsage: KeyUsageType.SIGN_VERIFY);
        var publicKey = (RsaKeyParameters)PublicKeyFactory.CreateKey(await PublicKeyAsync(endpoint.Kms, key.KeyId));

        var signature = await SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.RSASSA_PSS_SHA_256, Message, MessageType.RAW);

        // BouncyCastle's PSS verifier with an explicit salt length: 32 bytes verifies, any other length does not.
        Assert.True(VerifyPss(publicKey, signature, saltLength: 32));
        Assert.False(VerifyPss(publicKey, signature, saltLength: 20));
    }

    [Theory]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_256")]
    [InlineData("ECC_NIST_P384", "ECDSA_SHA_384")]
    [InlineData("ECC_NIST_P521", "ECDSA_SHA_512")]
    [InlineData("ECC_SECG_P256K1", "ECDSA_SHA_256")]
    public async Task ECDSA_signatures_are_DER_sequences_that_verify_outside_the_endpoint(string keySpec, string algorithm)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: KeyUsageType.SIGN_VERIFY);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(await PublicKeyAsync(endpoint.Kms, key.KeyId), out _);
        var hash = algorithm switch { "ECDSA_SHA_256" => HashAlgorithmName.SHA256, "ECDSA_SHA_384" => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA512 };

        var raw = await SignAsync(endpoint.Kms, key.KeyId, algorithm, Message, MessageType.RAW);
        var digest = await SignAsync(endpoint.Kms, key.KeyId, algorithm, Hash(hash, Message), MessageType.DIGEST);

        Assert.Equal(0x30, raw[0]);
        Assert.True(ecdsa.VerifyData(Message, raw, hash, DSASignatureFormat.Rfc3279DerSequence));
        Assert.True(ecdsa.VerifyData(Message, digest, hash, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal([algorithm], key.SigningAlgorithms);
    }

    [Fact]
    public async Task Ed25519_signs_RAW_messages_and_prehashed_DIGEST_messages_that_verify_with_BouncyCastle()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ECC_NIST_EDWARDS25519, keyUsage: KeyUsageType.SIGN_VERIFY);
        var publicKey = PublicKeyFactory.CreateKey(await PublicKeyAsync(endpoint.Kms, key.KeyId));
        var digest = SHA512.HashData(Message);

        var raw = await SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.ED25519_SHA_512, Message, MessageType.RAW);
        var prehashed = await SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.ED25519_PH_SHA_512, digest, MessageType.DIGEST);

        Assert.IsType<Ed25519PublicKeyParameters>(publicKey);
        Assert.True(VerifyWith(new Ed25519Signer(), publicKey, Message, raw));

        // KMS still applies Ed25519ph's own SHA-512 to the digest it is given: the input is hashed twice.
        Assert.True(VerifyWith(new Ed25519phSigner([]), publicKey, digest, prehashed));
        Assert.Equal(["ED25519_SHA_512", "ED25519_PH_SHA_512"], key.SigningAlgorithms);
        await Refusals.ValidationAsync(() => SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.ED25519_SHA_512, digest, MessageType.DIGEST));
        await Refusals.ValidationAsync(() => SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.ED25519_PH_SHA_512, Message, MessageType.RAW));
    }

    [Theory]
    [InlineData("ML_DSA_44")]
    [InlineData("ML_DSA_65")]
    [InlineData("ML_DSA_87")]
    public async Task ML_DSA_signatures_verify_with_BouncyCastle(string keySpec)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: KeyUsageType.SIGN_VERIFY);
        var publicKey = (MLDsaPublicKeyParameters)PublicKeyFactory.CreateKey(await PublicKeyAsync(endpoint.Kms, key.KeyId));

        var signature = await SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.ML_DSA_SHAKE_256, Message, MessageType.RAW);

        Assert.True(VerifyWith(new MLDsaSigner(publicKey.Parameters, deterministic: false), publicKey, Message, signature));
        Assert.Equal(["ML_DSA_SHAKE_256"], key.SigningAlgorithms);
        await Refusals.ValidationAsync(() => SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.ML_DSA_SHAKE_256, new byte[64], MessageType.DIGEST));
    }

    [Fact]
    public async Task Verify_accepts_the_signature_of_the_message_and_refuses_another_with_KMSInvalidSignatureException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);
        var signature = await SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.ECDSA_SHA_256, Message, MessageType.RAW);

        var valid = await endpoint.Kms.VerifyAsync(new VerifyRequest
        {
            KeyId = key.KeyId,
            Message = new MemoryStream(SHA256.HashData(Message)),
            MessageType = MessageType.DIGEST,
            Signature = new MemoryStream(signature),
            SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
        });
        var invalid = await Assert.ThrowsAsync<KMSInvalidSignatureException>(() => endpoint.Kms.VerifyAsync(new VerifyRequest
        {
            KeyId = key.KeyId,
            Message = new MemoryStream(Encoding.UTF8.GetBytes("tampered")),
            Signature = new MemoryStream(signature),
            SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
        }));

        Assert.True(valid.SignatureValid);
        Assert.Equal(key.Arn, valid.KeyId);
        Assert.Equal("KMSInvalidSignatureException", invalid.ErrorCode);
    }

    [Theory]
    [InlineData("ECC_NIST_P256", "ECDSA_SHA_256")]
    [InlineData("RSA_2048", "RSASSA_PSS_SHA_384")]
    [InlineData("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512")]
    public async Task A_digest_of_the_wrong_length_is_a_ValidationException_worded_as_AWS_words_it(string keySpec, string algorithm)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: KeyUsageType.SIGN_VERIFY);

        var error = await Refusals.ValidationAsync(() => SignAsync(endpoint.Kms, key.KeyId, algorithm, new byte[20], MessageType.DIGEST));

        Assert.Equal($"Digest is invalid length for algorithm {algorithm}.", error.Message);
    }

    [Fact]
    public async Task Keys_of_another_usage_or_algorithms_of_another_spec_are_InvalidKeyUsageException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var hmac = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.HMAC_256, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);
        var p256 = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);
        var signing = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048, keyUsage: KeyUsageType.SIGN_VERIFY);

        var wrongUsage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => SignAsync(endpoint.Kms, hmac.KeyId, SigningAlgorithmSpec.ECDSA_SHA_256, Message, MessageType.RAW));
        var wrongAlgorithm = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => SignAsync(endpoint.Kms, p256.KeyId, SigningAlgorithmSpec.ECDSA_SHA_384, Message, MessageType.RAW));
        var encrypt = await Assert.ThrowsAsync<InvalidKeyUsageException>(() =>
            endpoint.Kms.EncryptAsync(new EncryptRequest { KeyId = signing.KeyId, Plaintext = new MemoryStream([1]), EncryptionAlgorithm = EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256 }));

        Assert.Equal($"{hmac.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for Sign.", wrongUsage.Message);
        Assert.Equal("Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.", wrongAlgorithm.Message);
        Assert.Equal($"{signing.Arn} key usage is SIGN_VERIFY which is not valid for Encrypt.", encrypt.Message);
    }

    [Fact]
    public async Task A_disabled_signing_key_is_DisabledException_and_DryRun_signs_nothing()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);

        var dryRun = await Assert.ThrowsAsync<DryRunOperationException>(() => endpoint.Kms.SignAsync(new SignRequest
        {
            KeyId = key.KeyId,
            Message = new MemoryStream(Message),
            SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
            DryRun = true,
        }));
        await endpoint.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });
        var disabled = await Assert.ThrowsAsync<DisabledException>(() => SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.ECDSA_SHA_256, Message, MessageType.RAW));

        Assert.Equal("DryRunOperationException", dryRun.ErrorCode);
        Assert.Equal($"{key.Arn} is disabled.", disabled.Message);
    }

    [Fact]
    public async Task GetPublicKey_returns_the_spec_usage_and_algorithms_and_refuses_symmetric_keys()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_3072, keyUsage: KeyUsageType.SIGN_VERIFY);
        var symmetric = await endpoint.Kms.CreateKeyAsync();

        var response = await endpoint.Kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId });
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(response.PublicKey.ToArray(), out var read);

        Assert.Equal(response.PublicKey.Length, read);
        Assert.Equal(3072, rsa.KeySize);
        Assert.Equal(key.Arn, response.KeyId);
        Assert.Equal(KeySpec.RSA_3072, response.KeySpec);
        Assert.Equal(KeyUsageType.SIGN_VERIFY, response.KeyUsage);
        Assert.Equal(key.SigningAlgorithms, response.SigningAlgorithms);
        Assert.Empty(response.EncryptionAlgorithms ?? []);
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => endpoint.Kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = symmetric.KeyId }));
    }

    internal static async Task<byte[]> PublicKeyAsync(IAmazonKeyManagementService kms, string keyId) =>
        (await kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = keyId })).PublicKey.ToArray();

    internal static async Task<byte[]> SignAsync(IAmazonKeyManagementService kms, string keyId, string algorithm, byte[] message, MessageType messageType) =>
        (await kms.SignAsync(new SignRequest
        {
            KeyId = keyId,
            Message = new MemoryStream(message),
            MessageType = messageType,
            SigningAlgorithm = algorithm,
        })).Signature.ToArray();

    private static bool VerifyWith(ISigner signer, AsymmetricKeyParameter publicKey, byte[] message, byte[] signature)
    {
        signer.Init(false, publicKey);
        signer.BlockUpdate(message, 0, message.Length);
        return signer.VerifySignature(signature);
    }

    private static bool VerifyPss(RsaKeyParameters publicKey, byte[] signature, int saltLength)
    {
        var signer = new PssSigner(new Org.BouncyCastle.Crypto.Engines.RsaEngine(), new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), saltLength);
        return VerifyWith(signer, publicKey, Message, signature);
    }

    private static (HashAlgorithmName Hash, RSASignaturePadding Padding) RsaParameters(string algorithm)
    {
        var hash = algorithm.EndsWith("256", StringComparison.Ordinal) ? HashAlgorithmName.SHA256
            : algorithm.EndsWith("384", StringComparison.Ordinal) ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA512;
        return (hash, algorithm.Contains("PSS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    private static byte[] Hash(HashAlgorithmName hash, byte[] message) =>
        hash == HashAlgorithmName.SHA256 ? SHA256.HashData(message) : hash == HashAlgorithmName.SHA384 ? SHA384.HashData(message) : SHA512.HashData(message);
}
