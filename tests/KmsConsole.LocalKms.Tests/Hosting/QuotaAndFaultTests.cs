using System.Diagnostics;
using System.Net;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace KmsConsole.LocalKms.Tests.Hosting;

public class QuotaAndFaultTests
{
    [Fact]
    public async Task With_quotas_on_the_sixth_CreateKey_in_a_second_is_ThrottlingException_and_the_next_second_allows_more()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o => o.Quotas.Enabled = true);

        for (var i = 0; i < 5; i++)
        {
            await endpoint.Kms.CreateKeyAsync();
        }

        var error = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.CreateKeyAsync());

        Assert.Equal("ThrottlingException", error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(5, (await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Count);
        time.Advance(TimeSpan.FromSeconds(1));
        await endpoint.Kms.CreateKeyAsync();
        Assert.Equal(6, (await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Count);
    }

    [Fact]
    public async Task Each_operation_has_its_own_quota_and_cryptographic_operations_share_one()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o =>
        {
            o.Quotas.Enabled = true;
            o.Quotas.RequestsPerSecond["CryptographicOperationsSymmetric"] = 3;
        });
        var key = await endpoint.Kms.CreateKeyAsync();

        var ciphertext = await endpoint.Kms.EncryptTextAsync(key.KeyId, "a");
        await endpoint.Kms.DecryptTextAsync(ciphertext);
        await endpoint.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256 });
        var throttled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.EncryptTextAsync(key.KeyId, "b"));

        Assert.Equal("ThrottlingException", throttled.ErrorCode);
        await endpoint.Kms.DescribeAsync(key.KeyId);
    }

    [Fact]
    public async Task GenerateMac_VerifyMac_and_GenerateRandom_share_the_symmetric_cryptographic_quota_and_a_burst_beyond_it_is_throttled_with_AWS_s_message()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o =>
        {
            o.Quotas.Enabled = true;
            o.Quotas.RequestsPerSecond["CryptographicOperationsSymmetric"] = 4;
        });
        var hmac = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.HMAC_256, keyUsage: KeyUsageType.GENERATE_VERIFY_MAC);
        var message = new MemoryStream([1, 2, 3]);

        await endpoint.Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 8 });
        var mac = await endpoint.Kms.GenerateMacAsync(new GenerateMacRequest { KeyId = hmac.KeyId, MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256, Message = message });
        await endpoint.Kms.VerifyMacAsync(new VerifyMacRequest
        {
            KeyId = hmac.KeyId, MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256, Message = new MemoryStream([1, 2, 3]), Mac = new MemoryStream(mac.Mac.ToArray()),
        });
        await endpoint.Kms.EncryptTextAsync((await endpoint.Kms.CreateKeyAsync()).KeyId, "a");
        var throttled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 8 }));

        Assert.Equal("ThrottlingException", throttled.ErrorCode);
        Assert.Equal("You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.", throttled.Message);
        time.Advance(TimeSpan.FromSeconds(1));
        await endpoint.Kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 8 });
    }

    [Fact]
    public async Task Each_key_type_has_its_own_shared_cryptographic_quota_counted_by_the_key_a_request_names()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o =>
        {
            o.Quotas.Enabled = true;
            o.Quotas.RequestsPerSecond["CryptographicOperationsRsa"] = 2;
            o.Quotas.RequestsPerSecond["CryptographicOperationsEcc"] = 1;
            o.Quotas.RequestsPerSecond["CryptographicOperationsSymmetric"] = 2;
        });
        var rsa = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048, keyUsage: KeyUsageType.SIGN_VERIFY);
        var ecc = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.ECC_NIST_P256, keyUsage: KeyUsageType.SIGN_VERIFY);
        var symmetric = await endpoint.Kms.CreateKeyAsync();
        SignRequest Sign(string keyId, SigningAlgorithmSpec algorithm) =>
            new() { KeyId = keyId, SigningAlgorithm = algorithm, Message = new MemoryStream([1, 2, 3]) };

        var signature = await endpoint.Kms.SignAsync(Sign(rsa.KeyId, SigningAlgorithmSpec.RSASSA_PSS_SHA_256));
        await endpoint.Kms.VerifyAsync(new VerifyRequest
        {
            KeyId = rsa.Arn, SigningAlgorithm = SigningAlgorithmSpec.RSASSA_PSS_SHA_256, Message = new MemoryStream([1, 2, 3]),
            Signature = new MemoryStream(signature.Signature.ToArray()),
        });
        var rsaThrottled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.SignAsync(Sign(rsa.KeyId, SigningAlgorithmSpec.RSASSA_PSS_SHA_256)));

        // The RSA quota is used up; ECC and symmetric keys have their own.
        await endpoint.Kms.SignAsync(Sign(ecc.KeyId, SigningAlgorithmSpec.ECDSA_SHA_256));
        var eccThrottled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.SignAsync(Sign(ecc.KeyId, SigningAlgorithmSpec.ECDSA_SHA_256)));
        var ciphertext = await endpoint.Kms.EncryptTextAsync(symmetric.KeyId, "a");
        await endpoint.Kms.DecryptTextAsync(ciphertext);
        var symmetricThrottled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.EncryptTextAsync(symmetric.KeyId, "b"));

        Assert.All([rsaThrottled, eccThrottled, symmetricThrottled], e => Assert.Equal("ThrottlingException", e.ErrorCode));
        time.Advance(TimeSpan.FromSeconds(1));
        await endpoint.Kms.SignAsync(Sign(rsa.KeyId, SigningAlgorithmSpec.RSASSA_PSS_SHA_256));
    }

    [Fact]
    public async Task A_cryptographic_request_naming_no_key_that_exists_is_answered_with_its_own_error_not_throttled_by_another_key_type()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o =>
        {
            o.Quotas.Enabled = true;
            o.Quotas.RequestsPerSecond["CryptographicOperationsRsa"] = 1;
        });
        var rsa = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_2048, keyUsage: KeyUsageType.SIGN_VERIFY);
        await endpoint.Kms.SignAsync(new SignRequest { KeyId = rsa.KeyId, SigningAlgorithm = SigningAlgorithmSpec.RSASSA_PSS_SHA_256, Message = new MemoryStream([1]) });

        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.SignAsync(new SignRequest
        {
            KeyId = "alias/none", SigningAlgorithm = SigningAlgorithmSpec.RSASSA_PSS_SHA_256, Message = new MemoryStream([1]),
        }));
    }

    [Fact]
    public async Task Quotas_are_off_by_default()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        for (var i = 0; i < 12; i++)
        {
            await endpoint.Kms.CreateKeyAsync();
        }

        Assert.Equal(12, (await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Count);
    }

    [Fact]
    public async Task Injected_throttling_and_internal_errors_can_be_switched_on_and_off_while_the_server_runs()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        await endpoint.Kms.CreateKeyAsync();

        endpoint.Server.Faults.ThrottlingShare = 1;
        var throttled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.ListKeysAsync(new ListKeysRequest()));
        endpoint.Server.Faults.ThrottlingShare = 0;
        endpoint.Server.Faults.InternalErrorShare = 1;
        var internalError = await Assert.ThrowsAsync<KMSInternalException>(() => endpoint.Kms.ListKeysAsync(new ListKeysRequest()));
        endpoint.Server.Faults.InternalErrorShare = 0;

        Assert.Equal("ThrottlingException", throttled.ErrorCode);
        Assert.Equal("KMSInternalException", internalError.ErrorCode);
        Assert.Equal(HttpStatusCode.InternalServerError, internalError.StatusCode);
        Assert.Single((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys);
    }

    [Fact]
    public async Task A_retrying_client_gets_through_a_partial_fault_share()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        using var retrying = KmsTestEndpoint.CreateClient(endpoint.Server.Endpoint, maxErrorRetry: 10);
        endpoint.Server.Faults.ThrottlingShare = 0.3;

        for (var i = 0; i < 5; i++)
        {
            await retrying.CreateKeyAsync(new CreateKeyRequest());
        }

        endpoint.Server.Faults.ThrottlingShare = 0;
        Assert.Equal(5, (await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys.Count);
    }

    [Fact]
    public async Task Injected_delays_slow_requests_down()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        endpoint.Server.Faults.Delay = TimeSpan.FromMilliseconds(400);
        endpoint.Server.Faults.DelayShare = 1;

        var watch = Stopwatch.StartNew();
        await endpoint.Kms.ListKeysAsync(new ListKeysRequest());
        watch.Stop();

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(380), $"took {watch.Elapsed}");
    }
}
