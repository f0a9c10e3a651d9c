using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.External.Endpoints;

namespace KmsConsole.LocalKms.Tests.External.CrossCheck;

/// <summary>Signing, MAC, key agreement and key spec rules, against AWS's recorded behaviour (LocalStack's AWS-validated snapshots).</summary>
public sealed class AsymmetricCrossCheckTests(ExternalEndpointsFixture endpoints) : CrossCheckTests(endpoints)
{
    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task An_ECC_P256_signature_verifies_outside_KMS_with_the_public_key(string name)
    {
        var target = Target(name);
        var key = await NewSigningKeyAsync(target, KeySpec.ECC_NIST_P256, KeyUsageType.SIGN_VERIFY);
        var message = Secret("signed release");

        var signature = await target.Kms.SignAsync(new SignRequest { KeyId = key.KeyId, Message = new MemoryStream(message), SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256 });
        var publicKey = await target.Kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId });
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(publicKey.PublicKey.ToArray(), out _);

        Assert.True(ecdsa.VerifyData(message, signature.Signature.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(key.Arn, signature.KeyId);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task GetPublicKey_names_the_key_spec_usage_and_algorithms(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto's GetPublicKey answer carries no KeySpec; AWS returns the key's KeySpec, KeyUsage and algorithms.");
        var key = await NewSigningKeyAsync(target, KeySpec.ECC_NIST_P384, KeyUsageType.SIGN_VERIFY);

        var publicKey = await target.Kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId });

        Assert.Equal(KeySpec.ECC_NIST_P384, publicKey.KeySpec);
        Assert.Equal(KeyUsageType.SIGN_VERIFY, publicKey.KeyUsage);
        Assert.Equal(["ECDSA_SHA_384"], publicKey.SigningAlgorithms);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task An_ECC_P256_key_lists_only_ECDSA_SHA_256(string name)
    {
        var target = Target(name);
        var key = await NewSigningKeyAsync(target, KeySpec.ECC_NIST_P256, KeyUsageType.SIGN_VERIFY);

        Assert.Equal(["ECDSA_SHA_256"], key.SigningAlgorithms);
        Assert.Empty(key.EncryptionAlgorithms ?? []);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task A_signature_of_another_message_is_KMSInvalidSignatureException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto answers a signature that does not verify with SignatureValid false; AWS throws KMSInvalidSignatureException.");
        var key = await NewSigningKeyAsync(target, KeySpec.RSA_2048, KeyUsageType.SIGN_VERIFY);
        var signature = await target.Kms.SignAsync(new SignRequest { KeyId = key.KeyId, Message = new MemoryStream(Secret("a")), SigningAlgorithm = SigningAlgorithmSpec.RSASSA_PSS_SHA_256 });

        await AssertRefusedAsync("KMSInvalidSignatureException", () => target.Kms.VerifyAsync(new VerifyRequest
        {
            KeyId = key.KeyId,
            Message = new MemoryStream(Secret("b")),
            Signature = new MemoryStream(signature.Signature.ToArray()),
            SigningAlgorithm = SigningAlgorithmSpec.RSASSA_PSS_SHA_256,
        }));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task A_digest_of_the_wrong_length_is_a_ValidationException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto signs a DIGEST of any length; AWS refuses one not as long as the algorithm's hash.");
        var key = await NewSigningKeyAsync(target, KeySpec.ECC_NIST_P256, KeyUsageType.SIGN_VERIFY);

        var error = await AssertRefusedAsync("ValidationException", () => target.Kms.SignAsync(new SignRequest
        {
            KeyId = key.KeyId,
            Message = new MemoryStream(new byte[20]),
            MessageType = MessageType.DIGEST,
            SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256,
        }));
        Assert.Equal("Digest is invalid length for algorithm ECDSA_SHA_256.", error.Message);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task An_HMAC_key_generates_and_verifies_its_mac_and_refuses_another(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto describes an HMAC key without MacAlgorithms; AWS lists the key spec's MAC algorithm.");
        var key = await NewSigningKeyAsync(target, KeySpec.HMAC_256, KeyUsageType.GENERATE_VERIFY_MAC);
        var mac = await target.Kms.GenerateMacAsync(new GenerateMacRequest { KeyId = key.KeyId, MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256, Message = new MemoryStream(Secret("m")) });

        var valid = await target.Kms.VerifyMacAsync(new VerifyMacRequest
        {
            KeyId = key.KeyId,
            MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256,
            Message = new MemoryStream(Secret("m")),
            Mac = new MemoryStream(mac.Mac.ToArray()),
        });

        Assert.True(valid.MacValid);
        Assert.Equal(["HMAC_SHA_256"], key.MacAlgorithms);
        await AssertRefusedAsync("KMSInvalidMacException", () => target.Kms.VerifyMacAsync(new VerifyMacRequest
        {
            KeyId = key.KeyId,
            MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256,
            Message = new MemoryStream(Secret("other")),
            Mac = new MemoryStream(mac.Mac.ToArray()),
        }));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task A_usage_the_key_spec_lacks_is_a_ValidationException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto creates an RSA key with KeyUsage KEY_AGREEMENT; AWS refuses the pair with a ValidationException.");

        var error = await AssertRefusedAsync("ValidationException", () =>
            target.Kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.RSA_2048, KeyUsage = KeyUsageType.KEY_AGREEMENT }));
        Assert.Equal("KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048", error.Message);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task A_key_that_is_not_symmetric_needs_a_KeyUsage(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto creates an HMAC key without a KeyUsage; AWS requires one for every key but symmetric encryption keys.");

        var error = await AssertRefusedAsync("ValidationException", () => target.Kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.HMAC_256 }));
        Assert.Equal("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.", error.Message);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Sign_with_an_HMAC_key_is_InvalidKeyUsageException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto answers Sign with a key of another usage with ValidationException; AWS answers InvalidKeyUsageException naming the usage.");
        var key = await NewSigningKeyAsync(target, KeySpec.HMAC_256, KeyUsageType.GENERATE_VERIFY_MAC);

        var error = await AssertRefusedAsync("InvalidKeyUsageException", () =>
            target.Kms.SignAsync(new SignRequest { KeyId = key.KeyId, Message = new MemoryStream(Secret("x")), SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256 }));
        Assert.Equal($"{key.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for Sign.", error.Message);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task RSA_OAEP_plaintext_over_the_bound_is_a_ValidationException_naming_it(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto encrypts a plaintext longer than RSA-OAEP allows; AWS refuses it naming the bound (190 bytes for RSA_2048 with SHA-256).");
        var key = await NewSigningKeyAsync(target, KeySpec.RSA_2048, KeyUsageType.ENCRYPT_DECRYPT);

        var error = await AssertRefusedAsync("ValidationException", () => target.Kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId,
            Plaintext = new MemoryStream(new byte[191]),
            EncryptionAlgorithm = EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256,
        }));
        Assert.Equal("Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.", error.Message);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task GenerateRandom_without_NumberOfBytes_is_a_ValidationException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto answers GenerateRandom without NumberOfBytes with an HTTP 500; AWS answers ValidationException 'NumberOfBytes is required.'.");

        var error = await AssertRefusedAsync("ValidationException", () => target.Kms.GenerateRandomAsync(new GenerateRandomRequest()));
        Assert.Equal("NumberOfBytes is required.", error.Message);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task DeriveSharedSecret_matches_the_peer_s_ECDH(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto answers DeriveSharedSecret with an error; AWS derives the ECDH shared secret.");
        var key = await NewSigningKeyAsync(target, KeySpec.ECC_NIST_P256, KeyUsageType.KEY_AGREEMENT);
        var publicKey = await target.Kms.GetPublicKeyAsync(new GetPublicKeyRequest { KeyId = key.KeyId });
        using var kmsPublic = ECDiffieHellman.Create();
        kmsPublic.ImportSubjectPublicKeyInfo(publicKey.PublicKey.ToArray(), out _);
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        var derived = await target.Kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
        {
            KeyId = key.KeyId,
            KeyAgreementAlgorithm = KeyAgreementAlgorithmSpec.ECDH,
            PublicKey = new MemoryStream(peer.ExportSubjectPublicKeyInfo()),
        });

        Assert.Equal(peer.DeriveRawSecretAgreement(kmsPublic.PublicKey), derived.SharedSecret.ToArray());
    }

    private static async Task<KeyMetadata> NewSigningKeyAsync(KmsTarget target, KeySpec keySpec, KeyUsageType keyUsage) =>
        (await target.Kms.CreateKeyAsync(new CreateKeyRequest { Description = $"cross-check {Guid.NewGuid():N}", KeySpec = keySpec, KeyUsage = keyUsage })).KeyMetadata;
}
