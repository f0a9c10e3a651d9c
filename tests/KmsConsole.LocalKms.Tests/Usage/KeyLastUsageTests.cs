using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KmsConsole.LocalKms.Tests.Usage;

public class KeyLastUsageTests
{
    [Fact]
    public async Task A_new_key_reports_no_use_and_tracking_from_its_creation()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var usage = await endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = key.KeyId });

        Assert.Equal(key.KeyId, usage.KeyId);
        Assert.Equal(key.CreationDate, usage.KeyCreationDate);
        Assert.Equal(key.CreationDate, usage.TrackingStartDate);
        Assert.Null(usage.KeyLastUsage?.Operation);
        Assert.Null(usage.KeyLastUsage?.Timestamp);
    }

    [Fact]
    public async Task The_last_successful_cryptographic_operation_is_reported_with_its_request_id()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time);
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.EncryptTextAsync(key.KeyId, "first");
        time.Advance(TimeSpan.FromMinutes(5));
        var dataKey = await endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256 });

        var usage = (await endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = key.Arn })).KeyLastUsage;

        Assert.Equal(KeyLastUsageTrackingOperation.GenerateDataKey, usage.Operation);
        Assert.Equal(time.GetUtcNow().UtcDateTime, usage.Timestamp);
        Assert.Equal(dataKey.ResponseMetadata.RequestId, usage.KmsRequestId);
        Assert.True(Guid.TryParse(usage.CloudTrailEventId, out _), usage.CloudTrailEventId);
    }

    [Fact]
    public async Task Refused_calls_and_management_calls_do_not_count_as_use()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "secret");
        var before = (await endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = key.KeyId })).KeyLastUsage;

        await Assert.ThrowsAsync<InvalidCiphertextException>(() => endpoint.Kms.DecryptTextAsync(ciphertext, new Dictionary<string, string> { ["wrong"] = "context" }));
        await Assert.ThrowsAsync<DryRunOperationException>(() => endpoint.Kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId,
            Plaintext = new MemoryStream([1, 2, 3]),
            DryRun = true,
        }));
        await endpoint.Kms.DescribeAsync(key.KeyId);
        await endpoint.Kms.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = key.KeyId, Description = "changed" });

        var after = (await endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = key.KeyId })).KeyLastUsage;
        Assert.Equal(KeyLastUsageTrackingOperation.Encrypt, after.Operation);
        Assert.Equal(before.KmsRequestId, after.KmsRequestId);
    }

    [Fact]
    public async Task ReEncrypt_counts_as_use_of_both_the_source_and_the_destination_key()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var source = await endpoint.Kms.CreateKeyAsync();
        var destination = await endpoint.Kms.CreateKeyAsync();
        var ciphertext = await endpoint.Kms.EncryptTextAsync(source.KeyId, "moving");

        var reEncrypted = await endpoint.Kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = new MemoryStream(ciphertext), DestinationKeyId = destination.KeyId });

        foreach (var keyId in new[] { source.KeyId, destination.KeyId })
        {
            var usage = (await endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = keyId })).KeyLastUsage;
            Assert.Equal(KeyLastUsageTrackingOperation.ReEncrypt, usage.Operation);
            Assert.Equal(reEncrypted.ResponseMetadata.RequestId, usage.KmsRequestId);
        }
    }

    [Fact]
    public async Task Last_use_survives_a_restart()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "kept");
        await endpoint.Kms.DecryptTextAsync(ciphertext);
        var before = await endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = key.KeyId });

        await endpoint.RestartAsync();

        var after = await endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = key.KeyId });
        Assert.Equal(KeyLastUsageTrackingOperation.Decrypt, after.KeyLastUsage.Operation);
        Assert.Equal(before.KeyLastUsage.KmsRequestId, after.KeyLastUsage.KmsRequestId);
        Assert.Equal(before.KeyLastUsage.CloudTrailEventId, after.KeyLastUsage.CloudTrailEventId);
        Assert.Equal(before.TrackingStartDate, after.TrackingStartDate);
    }

    [Fact]
    public async Task Aliases_are_not_accepted_and_unknown_keys_are_not_found()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(seed: true);

        var alias = await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = "alias/FirstCMK" }));
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = Guid.NewGuid().ToString() }));

        Assert.Contains("alias/FirstCMK", alias.Message, StringComparison.Ordinal);
        Assert.EndsWith("does not exist", missing.Message, StringComparison.Ordinal);
    }
}
