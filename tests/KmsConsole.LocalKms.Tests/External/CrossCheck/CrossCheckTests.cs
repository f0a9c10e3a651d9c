using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.External.Endpoints;

namespace KmsConsole.LocalKms.Tests.External.CrossCheck;

/// <summary>
/// Behaviour checks run unchanged against the local endpoint and against moto_server through the
/// real AWS SDK client. Where moto departs from AWS's documented behaviour, the case asserts AWS's
/// behaviour and skips for moto with the difference as the reason (README: "moto and AWS").
/// </summary>
[Collection(ExternalEndpointsCollection.Name)]
public abstract class CrossCheckTests(ExternalEndpointsFixture endpoints)
{
    public static TheoryData<string> Targets => new() { KmsTarget.Local, KmsTarget.Moto };

    protected KmsTarget Target(string name) => endpoints.Get(name);

    /// <summary>Skips the moto case of a test whose AWS behaviour moto does not implement.</summary>
    protected static void KnownMotoDifference(KmsTarget target, string difference) =>
        Skip.If(target.IsMoto, $"Known moto difference: {difference}");

    protected static async Task<KeyMetadata> NewKeyAsync(
        KmsTarget target,
        string? description = null,
        KeySpec? keySpec = null,
        OriginType? origin = null,
        List<Tag>? tags = null)
    {
        var response = await target.Kms.CreateKeyAsync(new CreateKeyRequest
        {
            Description = description ?? $"cross-check {Guid.NewGuid():N}",
            KeySpec = keySpec,
            KeyUsage = KeyUsageType.ENCRYPT_DECRYPT,
            Origin = origin,
            Tags = tags,
        });
        return response.KeyMetadata;
    }

    protected static string UniqueAlias(string stem) => $"alias/xcheck-{stem}-{Guid.NewGuid():N}";

    protected static async Task<KeyMetadata> DescribeAsync(KmsTarget target, string keyId) =>
        (await target.Kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata;

    protected static async Task<List<AliasListEntry>> AliasesOfAsync(KmsTarget target, string keyId) =>
        (await target.Kms.ListAliasesAsync(new ListAliasesRequest { KeyId = keyId })).Aliases ?? [];

    /// <summary>Asserts the call fails with the AWS error <paramref name="errorCode"/> as a 4xx.</summary>
    protected static async Task<AmazonKeyManagementServiceException> AssertRefusedAsync(string errorCode, Func<Task> call)
    {
        var ex = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(call);
        Assert.True(
            errorCode == ex.ErrorCode,
            $"expected {errorCode}, got {ex.ErrorCode} (HTTP {(int)ex.StatusCode}): {ex.Message}");
        Assert.InRange((int)ex.StatusCode, 400, 499);
        return ex;
    }

    protected static async Task<byte[]> EncryptAsync(KmsTarget target, string keyId, byte[] plaintext, Dictionary<string, string>? context = null)
    {
        var response = await target.Kms.EncryptAsync(new EncryptRequest
        {
            KeyId = keyId,
            Plaintext = new MemoryStream(plaintext),
            EncryptionContext = context,
        });
        return response.CiphertextBlob.ToArray();
    }

    protected static async Task<DecryptResponse> DecryptAsync(KmsTarget target, byte[] ciphertext, Dictionary<string, string>? context = null, string? keyId = null) =>
        await target.Kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(ciphertext),
            EncryptionContext = context,
            KeyId = keyId,
        });

    protected static byte[] Secret(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
