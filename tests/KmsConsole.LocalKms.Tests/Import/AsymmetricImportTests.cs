using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Crypto;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Import;

/// <summary>Imported material for RSA, ECC and HMAC keys: a DER PKCS#8 private key or HMAC key bytes, wrapped as the workshop wraps it.</summary>
public class AsymmetricImportTests
{
    private static readonly byte[] Message = Encoding.UTF8.GetBytes("imported signing key");

    [Theory]
    [InlineData("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096")]
    [InlineData("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048")]
    public async Task An_imported_RSA_private_key_signs_and_its_public_key_is_the_imported_one(string algorithm, string wrappingKeySpec)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: KeySpec.RSA_2048, keyUsage: KeyUsageType.SIGN_VERIFY);
        using var rsa = RSA.Create(2048);

        var imported = await endpoint.Kms.ImportAsync(key.KeyId, rsa.ExportPkcs8PrivateKey(), algorithm: algorithm, wrappingKeySpec: wrappingKeySpec);
        var signature = await SigningTests.SignAsync(endpoint.Kms, key.KeyId, SigningAlgorithmSpec.RSASSA_PSS_SHA_256, Message, MessageType.RAW);
        var described = await endpoint.Kms.DescribeAsync(key.KeyId);

        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), await SigningTests.PublicKeyAsync(endpoint.Kms, key.KeyId));
        Assert.True(rsa.VerifyData(Message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        Assert.Equal(KeyState.Enabled, described.KeyState);
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE, described.ExpirationModel);
        Assert.Null(described.CurrentKeyMaterialId);
        Assert.Null(imported.KeyMaterialId);
    }

    [Theory]
    [InlineData("ECC_NIST_P256", "RSAES_OAEP_SHA_256")]
    [InlineData("ECC_NIST_P521", "RSA_AES_KEY_WRAP_SHA_256")]
    [InlineData("ECC_SECG_P256K1", "RSAES_OAEP_SHA_1")]
    public async Task An_imported_ECC_private_key_signs_with_ECDSA(string keySpec, string algorithm)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: keySpec, keyUsage: KeyUsageType.SIGN_VERIFY);
        using var ecdsa = ECDsa.Create(keySpec switch
        {
            "ECC_NIST_P256" => ECCurve.NamedCurves.nistP256,
            "ECC_NIST_P521" => ECCurve.NamedCurves.nistP521,
            _ => ECCurve.CreateFromValue("1.3.132.0.10"),
        });

        await endpoint.Kms.ImportAsync(key.KeyId, ecdsa.ExportPkcs8PrivateKey(), algorithm: algorithm, wrappingKeySpec: "RSA_3072");
        var signingAlgorithm = key.SigningAlgorithms.Single();
        var signature = await SigningTests.SignAsync(endpoint.Kms, key.KeyId, signingAlgorithm, Message, MessageType.RAW);

        var hash = signingAlgorithm == "ECDSA_SHA_512" ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        Assert.True(ecdsa.VerifyData(Message, signature, hash, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public async Task Material_that_does_not_fit_the_key_spec_is_IncorrectKeyMaterialException_and_changes_nothing()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var p256 = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);
        var hmac = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: KeySpec.HMAC_256, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var wrongCurve = await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() =>
            endpoint.Kms.ImportAsync(p256.KeyId, p384.ExportPkcs8PrivateKey(), algorithm: "RSA_AES_KEY_WRAP_SHA_256"));
        var tooShort = await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() => endpoint.Kms.ImportAsync(hmac.KeyId, RandomNumberGenerator.GetBytes(16)));
        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() => endpoint.Kms.ImportAsync(hmac.KeyId, RandomNumberGenerator.GetBytes(65)));

        Assert.Contains("ECC_NIST_P256", wrongCurve.Message);
        Assert.Contains("32 to 64 bytes", tooShort.Message);
        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(p256.KeyId)).KeyState);
        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(hmac.KeyId)).KeyState);
    }

    [Theory]
    [InlineData("RSA_2048", "SIGN_VERIFY")]
    [InlineData("ECC_NIST_P384", "KEY_AGREEMENT")]
    [InlineData("ECC_NIST_EDWARDS25519", "SIGN_VERIFY")]
    [InlineData("ML_DSA_44", "SIGN_VERIFY")]
    public async Task Bytes_that_are_no_private_key_are_IncorrectKeyMaterialException(string keySpec, string keyUsage)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: keySpec, keyUsage: keyUsage);

        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() =>
            endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(120), algorithm: "RSA_AES_KEY_WRAP_SHA_256"));
        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() =>
            endpoint.Kms.ImportAsync(key.KeyId, [0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x05], algorithm: "RSA_AES_KEY_WRAP_SHA_256"));

        Assert.Equal(KeyState.PendingImport, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }

    [Fact]
    public async Task An_asymmetric_key_takes_no_second_material_and_reimport_needs_the_same_private_key()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await endpoint.Kms.ImportAsync(key.KeyId, first.ExportPkcs8PrivateKey());

        await Assert.ThrowsAsync<UnsupportedOperationException>(() =>
            endpoint.Kms.ImportAsync(key.KeyId, other.ExportPkcs8PrivateKey(), importType: ImportType.NEW_KEY_MATERIAL));
        await Assert.ThrowsAsync<IncorrectKeyMaterialException>(() => endpoint.Kms.ImportAsync(key.KeyId, other.ExportPkcs8PrivateKey()));
        await endpoint.Kms.ImportAsync(key.KeyId, first.ExportPkcs8PrivateKey(), validTo: DateTime.UtcNow.AddDays(30));

        Assert.Equal(first.ExportSubjectPublicKeyInfo(), await SigningTests.PublicKeyAsync(endpoint.Kms, key.KeyId));
        Assert.Equal(ExpirationModelType.KEY_MATERIAL_EXPIRES, (await endpoint.Kms.DescribeAsync(key.KeyId)).ExpirationModel);
    }

    [Fact]
    public async Task A_second_NEW_KEY_MATERIAL_while_one_is_pending_rotation_is_KMSInvalidStateException_worded_as_AWS_words_it()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL);
        await endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32));
        var pending = await endpoint.Kms.ImportAsync(key.KeyId, RandomNumberGenerator.GetBytes(32), importType: ImportType.NEW_KEY_MATERIAL);
        var third = RandomNumberGenerator.GetBytes(32);

        var error = await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.ImportAsync(key.KeyId, third, importType: ImportType.NEW_KEY_MATERIAL));

        Assert.Matches(
            $"^New key material \\(id: [0-9a-f]{{64}}\\) cannot be imported into KMS key {key.KeyId}, because another key material \\(id: {pending.KeyMaterialId}\\) is pending rotation\\.$",
            error.Message);
        var rotations = await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId, IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL });
        Assert.Equal(2, rotations.Rotations.Count);
    }

    [Fact]
    public async Task KEY_MATERIAL_EXPIRES_without_ValidTo_is_a_ValidationException_worded_as_AWS_words_it()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(origin: OriginType.EXTERNAL, keySpec: KeySpec.HMAC_384, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);
        var parameters = await endpoint.Kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = key.KeyId,
            WrappingAlgorithm = AlgorithmSpec.RSAES_OAEP_SHA_256,
            WrappingKeySpec = WrappingKeySpec.RSA_2048,
        });

        var error = await Refusals.ValidationAsync(() => endpoint.Kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = key.KeyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(ImportWrapping.Wrap("RSAES_OAEP_SHA_256", parameters.PublicKey.ToArray(), RandomNumberGenerator.GetBytes(48))),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_EXPIRES,
        }));

        Assert.Equal("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES", error.Message);
    }
}
