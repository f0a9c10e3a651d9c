using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace KmsConsole.LocalKms.Tests.Support;

/// <summary>What a workshop participant does with openssl: wrap key material with the public key from GetParametersForImport.</summary>
public static class ImportWrapping
{
    public static byte[] Wrap(string algorithm, byte[] publicKeyDer, byte[] material)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(publicKeyDer, out _);
        switch (algorithm)
        {
            case "RSAES_OAEP_SHA_1":
                return rsa.Encrypt(material, RSAEncryptionPadding.OaepSHA1);
            case "RSAES_OAEP_SHA_256":
                return rsa.Encrypt(material, RSAEncryptionPadding.OaepSHA256);
            case "RSA_AES_KEY_WRAP_SHA_1":
            case "RSA_AES_KEY_WRAP_SHA_256":
            {
                var aesKey = RandomNumberGenerator.GetBytes(32);
                var padding = algorithm.EndsWith("SHA_1", StringComparison.Ordinal) ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256;
                return [.. rsa.Encrypt(aesKey, padding), .. KeyWrapRfc5649.Wrap(aesKey, material)];
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null);
        }
    }

    public static async Task<ImportKeyMaterialResponse> ImportAsync(
        this IAmazonKeyManagementService kms,
        string keyId,
        byte[] material,
        DateTime? validTo = null,
        string algorithm = "RSAES_OAEP_SHA_256",
        string wrappingKeySpec = "RSA_2048",
        ImportType? importType = null,
        string? keyMaterialId = null)
    {
        var parameters = await kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = keyId,
            WrappingAlgorithm = algorithm,
            WrappingKeySpec = wrappingKeySpec,
        });
        var request = new ImportKeyMaterialRequest
        {
            KeyId = keyId,
            ImportToken = new MemoryStream(parameters.ImportToken.ToArray()),
            EncryptedKeyMaterial = new MemoryStream(Wrap(algorithm, parameters.PublicKey.ToArray(), material)),
            ExpirationModel = validTo is null ? ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE : ExpirationModelType.KEY_MATERIAL_EXPIRES,
            ValidTo = validTo,
            KeyMaterialId = keyMaterialId,
        };
        if (importType is not null)
        {
            request.ImportType = importType;
        }

        return await kms.ImportKeyMaterialAsync(request);
    }
}
