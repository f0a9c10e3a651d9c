using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace KmsConsole.LocalKms.Tests.Support;

/// <summary>Small builders for the requests tests repeat.</summary>
public static class Kms
{
    /// <summary>Creates a key; a key spec other than SYMMETRIC_DEFAULT needs a usage, ENCRYPT_DECRYPT unless one is given.</summary>
    public static async Task<KeyMetadata> CreateKeyAsync(
        this IAmazonKeyManagementService kms, string? description = null, OriginType? origin = null, KeySpec? keySpec = null, KeyUsageType? keyUsage = null)
    {
        var request = new CreateKeyRequest { Description = description ?? "test key" };
        if (keyUsage is not null || (keySpec is not null && keySpec != KeySpec.SYMMETRIC_DEFAULT))
        {
            request.KeyUsage = keyUsage ?? KeyUsageType.ENCRYPT_DECRYPT;
        }

        if (origin is not null)
        {
            request.Origin = origin;
        }

        if (keySpec is not null)
        {
            request.KeySpec = keySpec;
        }

        return (await kms.CreateKeyAsync(request)).KeyMetadata;
    }

    public static async Task<byte[]> EncryptTextAsync(this IAmazonKeyManagementService kms, string keyId, string text, Dictionary<string, string>? context = null)
    {
        var response = await kms.EncryptAsync(new EncryptRequest
        {
            KeyId = keyId,
            Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(text)),
            EncryptionContext = context,
        });
        return response.CiphertextBlob.ToArray();
    }

    public static async Task<string> DecryptTextAsync(this IAmazonKeyManagementService kms, byte[] ciphertext, Dictionary<string, string>? context = null, string? keyId = null)
    {
        var response = await kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(ciphertext),
            EncryptionContext = context,
            KeyId = keyId,
        });
        return Encoding.UTF8.GetString(response.Plaintext.ToArray());
    }

    public static async Task<KeyMetadata> DescribeAsync(this IAmazonKeyManagementService kms, string keyId) =>
        (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata;
}
