using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Crypto;

public class KeyAgreementTests
{
    [Theory]
    [InlineData("ECC_NIST_P256")]
    [InlineData("ECC_NIST_P384")]
    [InlineData("ECC_NIST_P521")]
    public async Task DeriveSharedSecret_agrees_with_the_peer_s_own_ECDH(string keySpec)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync(keySpec: keySpec, keyUsage: KeyUsageType.KEY_AGREEMENT);
        using var kmsPublic = ECDiffieHellman.Create();
        kmsPublic.ImportSubjectPublicKeyInfo(await SigningTests.PublicKeyAsync(endpoint.Kms, key.KeyId), out _);
        using var peer = ECDiffieHellman.Create(kmsPublic.ExportParameters(false).Curve);

        var response = await endpoint.Kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
        {
            KeyId = key.KeyId,
            KeyAgreementAlgorithm = KeyAgreementAlgorithmSpec.ECDH,
            PublicKey = new MemoryStream(peer.ExportSubjectPublicKeyInfo()),
        });

        Assert.Equal(peer.DeriveRawSecretAgreement(kmsPublic.PublicKey), response.SharedSecret.ToArray());
        Assert.Equal(key.Arn, response.KeyId);
        Assert.Equal(OriginType.AWS_KMS, response.KeyOrigin);
        Assert.Equal(["ECDH"], key.KeyAgreementAlgorithms);
        Assert.Empty(key.SigningAlgorithms ?? []);
    }

    [Fact]
    public async Task DeriveSharedSecret_refuses_other_usages_and_public_keys_that_are_not_SubjectPublicKeyInfo()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var signing = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);
        var agreement = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.KEY_AGREEMENT);
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        var usage = await Assert.ThrowsAsync<InvalidKeyUsageException>(() => endpoint.Kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
        {
            KeyId = signing.KeyId,
            KeyAgreementAlgorithm = KeyAgreementAlgorithmSpec.ECDH,
            PublicKey = new MemoryStream(peer.ExportSubjectPublicKeyInfo()),
        }));
        await Refusals.ValidationAsync(() => endpoint.Kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
        {
            KeyId = agreement.KeyId,
            KeyAgreementAlgorithm = KeyAgreementAlgorithmSpec.ECDH,
            PublicKey = new MemoryStream([1, 2, 3, 4]),
        }));

        Assert.Equal($"{signing.Arn} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.", usage.Message);
    }
}
