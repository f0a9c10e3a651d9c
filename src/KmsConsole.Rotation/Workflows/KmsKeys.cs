using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Workflows;

/// <summary>KMS reads the steps share: the run-id tag search, alias lookups, a round trip.</summary>
internal static class KmsKeys
{
    public const string RunIdTag = "kmsconsole:run-id";

    /// <summary>
    /// Finds the key a run created, by its run-id tag. CreateKey's answer can be lost to a crash before the
    /// new key id is recorded; the tag is set in the same CreateKey call, so the key is always findable.
    /// It reads the tags of every key of the account: call it only for a run that saved that it called CreateKey.
    /// </summary>
    public static Task<KeyMetadata?> FindKeyCreatedByRunAsync(IAmazonKeyManagementService kms, Guid runId, CancellationToken cancellationToken) =>
        FindKeyByTagAsync(kms, RunIdTag, runId.ToString(), cancellationToken);

    /// <summary>The first key not pending deletion that carries the tag; pages through ListKeys and ListResourceTags.</summary>
    public static async Task<KeyMetadata?> FindKeyByTagAsync(IAmazonKeyManagementService kms, string tagKey, string wanted, CancellationToken cancellationToken)
    {
        string? marker = null;
        do
        {
            var page = await ReadAsync(() => kms.ListKeysAsync(new ListKeysRequest { Marker = marker, Limit = 1000 }, cancellationToken), cancellationToken);
            foreach (var key in page.Keys ?? [])
            {
                var tags = await ListTagsAsync(kms, key.KeyId, cancellationToken);
                if (tags.Any(t => t.TagKey == tagKey && t.TagValue == wanted))
                {
                    var metadata = (await DescribeAsync(kms, key.KeyId, cancellationToken)).KeyMetadata;
                    if (metadata.KeyState != KeyState.PendingDeletion)
                    {
                        return metadata;
                    }
                }
            }

            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        return null;
    }

    /// <summary>DescribeKey of a key id, ARN or alias, retried as a read.</summary>
    public static Task<DescribeKeyResponse> DescribeAsync(IAmazonKeyManagementService kms, string keyIdOrAlias, CancellationToken cancellationToken) =>
        ReadAsync(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyIdOrAlias }, cancellationToken), cancellationToken);

    /// <summary>The key's metadata, or null when KMS does not know the key or alias (NotFoundException).</summary>
    public static async Task<KeyMetadata?> FindAsync(IAmazonKeyManagementService kms, string keyIdOrAlias, CancellationToken cancellationToken)
    {
        try
        {
            return (await DescribeAsync(kms, keyIdOrAlias, cancellationToken)).KeyMetadata;
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    public static async Task<List<Tag>> ListTagsAsync(IAmazonKeyManagementService kms, string keyId, CancellationToken cancellationToken)
    {
        var tags = new List<Tag>();
        string? marker = null;
        do
        {
            var page = await ReadAsync(() => kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = keyId, Marker = marker }, cancellationToken), cancellationToken);
            tags.AddRange(page.Tags ?? []);
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        return tags;
    }

    public static async Task<List<AliasListEntry>> AliasesOfAsync(IAmazonKeyManagementService kms, string keyId, CancellationToken cancellationToken)
    {
        var aliases = new List<AliasListEntry>();
        string? marker = null;
        do
        {
            var page = await ReadAsync(() => kms.ListAliasesAsync(new ListAliasesRequest { KeyId = keyId, Marker = marker }, cancellationToken), cancellationToken);
            aliases.AddRange(page.Aliases ?? []);
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        return aliases;
    }

    public static async Task<List<RotationsListEntry>> RotationsAsync(IAmazonKeyManagementService kms, string keyId, bool includeMaterial,
        CancellationToken cancellationToken)
    {
        var rotations = new List<RotationsListEntry>();
        string? marker = null;
        do
        {
            var request = new ListKeyRotationsRequest { KeyId = keyId, Marker = marker };
            if (includeMaterial)
            {
                request.IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL;
            }

            var page = await ReadAsync(() => kms.ListKeyRotationsAsync(request, cancellationToken), cancellationToken);
            rotations.AddRange(page.Rotations ?? []);
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        return rotations;
    }

    /// <summary>Encrypts and decrypts a probe under the key; returns the Decrypt request id.</summary>
    public static async Task<string> RoundTripAsync(IAmazonKeyManagementService kms, string keyId, CancellationToken cancellationToken)
    {
        var probe = Encoding.UTF8.GetBytes($"kmsconsole round trip {Guid.NewGuid()}");
        var encrypted = await ReadAsync(() => kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream(probe) }, cancellationToken), cancellationToken);
        var decrypted = await ReadAsync(() => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = encrypted.CiphertextBlob, KeyId = keyId }, cancellationToken), cancellationToken);
        if (!decrypted.Plaintext.ToArray().AsSpan().SequenceEqual(probe))
        {
            throw new StepCheckFailedException($"Data encrypted under {keyId} did not decrypt to the same bytes.", decrypted.ResponseMetadata?.RequestId);
        }

        return decrypted.ResponseMetadata?.RequestId ?? "";
    }

    private static readonly KmsErrorPolicy Errors = new();

    /// <summary>
    /// A read, or a call whose repeat changes nothing (GenerateDataKey, EnableKeyRotation), retried on its own
    /// (throttling, 5xx, timeouts; jittered exponential backoff, 5 attempts): it has no effect to duplicate.
    /// Other writes are retried by the engine, which checks for their effect first.
    /// </summary>
    public static async Task<T> ReadAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < 5 && !cancellationToken.IsCancellationRequested && Errors.IsTransient(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * 50 * Math.Pow(2, attempt) + 1), cancellationToken);
            }
        }
    }

    public static string? RequestId(this Amazon.Runtime.AmazonWebServiceResponse response) => response.ResponseMetadata?.RequestId;
}

/// <summary>Alias name prefixes KMS reserves (CreateAlias: names start with alias/; alias/aws/ is for AWS managed keys).</summary>
internal static class AliasNames
{
    public const string Prefix = "alias/";
    public const string AwsPrefix = "alias/aws/";
}
