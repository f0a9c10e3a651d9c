using System.Diagnostics;
using System.Net;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Quotas;
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

    /// <summary>
    /// The defaults of the "Request quotas for each AWS KMS API operation" table of the current AWS KMS Developer Guide page
    /// (docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html, read 2026-12-07); where a row varies with the
    /// Region, the value for all Regions but those it names.
    /// </summary>
    private static readonly Dictionary<string, double> CurrentTable = new(StringComparer.Ordinal)
    {
        ["CryptographicOperationsSymmetric"] = 10_000,
        ["CryptographicOperationsRsa"] = 1_000,
        ["CryptographicOperationsEcc"] = 1_000,
        ["CryptographicOperationsMlDsa"] = 1_000,
        ["GenerateDataKeyPair_ECC_NIST_P256"] = 100,
        ["GenerateDataKeyPair_ECC_NIST_P384"] = 100,
        ["GenerateDataKeyPair_ECC_NIST_P521"] = 100,
        ["GenerateDataKeyPair_ECC_SECG_P256K1"] = 100,
        ["GenerateDataKeyPair_ECC_NIST_EDWARDS25519"] = 100,
        ["GenerateDataKeyPair_RSA_2048"] = 20,
        ["GenerateDataKeyPair_RSA_3072"] = 4,
        ["GenerateDataKeyPair_RSA_4096"] = 1,
        ["GenerateDataKeyPair_SM2"] = 25,
        ["CancelKeyDeletion"] = 5,
        ["ConnectCustomKeyStore"] = 5,
        ["CreateAlias"] = 5,
        ["CreateCustomKeyStore"] = 5,
        ["CreateGrant"] = 50,
        ["CreateKey"] = 5,
        ["DeleteAlias"] = 15,
        ["DeleteCustomKeyStore"] = 5,
        ["DeleteImportedKeyMaterial"] = 15,
        ["DescribeCustomKeyStores"] = 5,
        ["DescribeKey"] = 2_000,
        ["DisableKey"] = 5,
        ["DisableKeyRotation"] = 5,
        ["DisconnectCustomKeyStore"] = 5,
        ["EnableKey"] = 5,
        ["EnableKeyRotation"] = 15,
        ["GetKeyLastUsage"] = 5,
        ["GetKeyPolicy"] = 1_000,
        ["GetKeyRotationStatus"] = 1_000,
        ["GetParametersForImport"] = 1,
        ["GetPublicKey"] = 2_000,
        ["ImportKeyMaterial"] = 15,
        ["ListAliases"] = 500,
        ["ListGrants"] = 100,
        ["ListKeyPolicies"] = 100,
        ["ListKeys"] = 500,
        ["ListKeyRotations"] = 100,
        ["ListResourceTags"] = 2_000,
        ["ListRetirableGrants"] = 100,
        ["PutKeyPolicy"] = 15,
        ["ReplicateKey"] = 5,
        ["RetireGrant"] = 50,
        ["RevokeGrant"] = 50,
        ["RotateKeyOnDemand"] = 5,
        ["ScheduleKeyDeletion"] = 15,
        ["TagResource"] = 10,
        ["UntagResource"] = 5,
        ["UpdateAlias"] = 5,
        ["UpdateCustomKeyStore"] = 5,
        ["UpdateKeyDescription"] = 5,
        ["UpdatePrimaryRegion"] = 5,
    };

    [Fact]
    public void The_documented_quotas_are_the_current_request_quota_table_row_for_row()
    {
        Assert.Equal(
            CurrentTable.OrderBy(q => q.Key, StringComparer.Ordinal),
            RequestQuotas.Documented.OrderBy(q => q.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("DescribeKey", null, "DescribeKey", 2_000)]
    [InlineData("GetKeyRotationStatus", null, "GetKeyRotationStatus", 1_000)]
    [InlineData("GetKeyPolicy", null, "GetKeyPolicy", 1_000)]
    [InlineData("ListKeyRotations", null, "ListKeyRotations", 100)]
    [InlineData("RotateKeyOnDemand", null, "RotateKeyOnDemand", 5)]
    [InlineData("GetKeyLastUsage", null, "GetKeyLastUsage", 5)]
    [InlineData("GetPublicKey", null, "GetPublicKey", 2_000)]
    [InlineData("GetParametersForImport", null, "GetParametersForImport", 1)]
    [InlineData("ImportKeyMaterial", null, "ImportKeyMaterial", 15)]
    [InlineData("ListAliases", null, "ListAliases", 500)]
    [InlineData("ListKeys", null, "ListKeys", 500)]
    [InlineData("ListResourceTags", null, "ListResourceTags", 2_000)]
    [InlineData("ListGrants", null, "ListGrants", 100)]
    [InlineData("ListKeyPolicies", null, "ListKeyPolicies", 100)]
    [InlineData("ListRetirableGrants", null, "ListRetirableGrants", 100)]
    [InlineData("CreateGrant", null, "CreateGrant", 50)]
    [InlineData("RetireGrant", null, "RetireGrant", 50)]
    [InlineData("RevokeGrant", null, "RevokeGrant", 50)]
    [InlineData("PutKeyPolicy", null, "PutKeyPolicy", 15)]
    [InlineData("ScheduleKeyDeletion", null, "ScheduleKeyDeletion", 15)]
    [InlineData("DeleteAlias", null, "DeleteAlias", 15)]
    [InlineData("DeleteImportedKeyMaterial", null, "DeleteImportedKeyMaterial", 15)]
    [InlineData("EnableKeyRotation", null, "EnableKeyRotation", 15)]
    [InlineData("TagResource", null, "TagResource", 10)]
    [InlineData("UntagResource", null, "UntagResource", 5)]
    [InlineData("UpdateAlias", null, "UpdateAlias", 5)]
    [InlineData("UpdateKeyDescription", null, "UpdateKeyDescription", 5)]
    [InlineData("ReplicateKey", null, "ReplicateKey", 5)]
    [InlineData("UpdatePrimaryRegion", null, "UpdatePrimaryRegion", 5)]
    [InlineData("ConnectCustomKeyStore", null, "ConnectCustomKeyStore", 5)]
    [InlineData("DescribeCustomKeyStores", null, "DescribeCustomKeyStores", 5)]
    [InlineData("GenerateDataKeyPair", "RSA_2048", "GenerateDataKeyPair_RSA_2048", 20)]
    [InlineData("GenerateDataKeyPairWithoutPlaintext", "RSA_3072", "GenerateDataKeyPair_RSA_3072", 4)]
    [InlineData("GenerateDataKeyPair", "RSA_4096", "GenerateDataKeyPair_RSA_4096", 1)]
    [InlineData("GenerateDataKeyPairWithoutPlaintext", "ECC_NIST_P256", "GenerateDataKeyPair_ECC_NIST_P256", 100)]
    [InlineData("GenerateDataKeyPair", "ECC_NIST_P384", "GenerateDataKeyPair_ECC_NIST_P384", 100)]
    [InlineData("GenerateDataKeyPair", "ECC_NIST_P521", "GenerateDataKeyPair_ECC_NIST_P521", 100)]
    [InlineData("GenerateDataKeyPair", "ECC_SECG_P256K1", "GenerateDataKeyPair_ECC_SECG_P256K1", 100)]
    [InlineData("GenerateDataKeyPairWithoutPlaintext", "ECC_NIST_EDWARDS25519", "GenerateDataKeyPair_ECC_NIST_EDWARDS25519", 100)]
    [InlineData("GenerateDataKeyPair", "SM2", "GenerateDataKeyPair_SM2", 25)]
    public void A_burst_of_the_documented_quota_in_one_second_passes_one_more_is_throttled_and_the_next_second_allows_more(
        string operation, string? keySpec, string quota, int perSecond)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var quotas = new RequestQuotas(new QuotaOptions { Enabled = true }, time);

        var passed = Enumerable.Range(0, perSecond).Count(_ => quotas.TryAcquire(operation, keySpec));
        var beyond = quotas.TryAcquire(operation, keySpec);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(quota, RequestQuotas.QuotaFor(operation, keySpec));
        Assert.Equal(perSecond, passed);
        Assert.False(beyond, $"request {perSecond + 1} of {operation} {keySpec} in one second");
        Assert.True(quotas.TryAcquire(operation, keySpec));
    }

    [Fact]
    public void A_configured_rate_wins_over_the_documented_one_for_operations_and_for_data_key_pair_specs()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var quotas = new RequestQuotas(new QuotaOptions
        {
            Enabled = true,
            RequestsPerSecond = { ["DescribeKey"] = 3, ["GenerateDataKeyPair_RSA_4096"] = 2 },
        }, time);

        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => quotas.TryAcquire("DescribeKey")));
        Assert.Equal(2, Enumerable.Range(0, 10).Count(_ => quotas.TryAcquire("GenerateDataKeyPairWithoutPlaintext", "RSA_4096")));
        // Another spec keeps its documented quota.
        Assert.Equal(4, Enumerable.Range(0, 10).Count(_ => quotas.TryAcquire("GenerateDataKeyPair", "RSA_3072")));
    }

    [Fact]
    public async Task A_burst_of_2000_DescribeKey_in_one_second_passes_and_the_2001st_is_throttled_while_GetKeyRotationStatus_and_GetKeyPolicy_allow_1000()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o => o.Quotas.Enabled = true);
        var key = await endpoint.Kms.CreateKeyAsync();

        var describe = await BurstAsync(2_001, () => endpoint.Kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyId }));
        var rotationStatus = await BurstAsync(1_001, () => endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId }));
        var policy = await BurstAsync(1_001, () => endpoint.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId }));

        Assert.Equal((2_000, 1), describe);
        Assert.Equal((1_000, 1), rotationStatus);
        Assert.Equal((1_000, 1), policy);
        time.Advance(TimeSpan.FromSeconds(1));
        await endpoint.Kms.DescribeAsync(key.KeyId);
    }

    [Fact]
    public async Task RotateKeyOnDemand_allows_5_a_second_and_ListKeyRotations_100()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o => o.Quotas.Enabled = true);
        var key = await endpoint.Kms.CreateKeyAsync();

        var rotations = await BurstAsync(6, () => endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId }), concurrency: 1);
        var listings = await BurstAsync(101, () => endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId }));
        time.Advance(TimeSpan.FromSeconds(1));
        var listed = await endpoint.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId });

        Assert.Equal((5, 1), rotations);
        Assert.Equal((100, 1), listings);
        Assert.Equal(5, listed.Rotations.Count(r => r.RotationType == RotationType.ON_DEMAND));
    }

    [Fact]
    public async Task GenerateDataKeyPair_and_its_WithoutPlaintext_twin_share_the_quota_of_their_KeyPairSpec_apart_from_other_specs_and_the_symmetric_quota()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var endpoint = await KmsTestEndpoint.StartAsync(time: time, configure: o =>
        {
            o.Quotas.Enabled = true;
            o.Quotas.RequestsPerSecond["CryptographicOperationsSymmetric"] = 1;
            o.Quotas.RequestsPerSecond["GenerateDataKeyPair_RSA_2048"] = 1;
        });
        var key = await endpoint.Kms.CreateKeyAsync();
        GenerateDataKeyPairRequest Pair(DataKeyPairSpec spec) => new() { KeyId = key.KeyId, KeyPairSpec = spec };
        GenerateDataKeyPairWithoutPlaintextRequest PairWithoutPlaintext(DataKeyPairSpec spec) => new() { KeyId = key.KeyId, KeyPairSpec = spec };

        // ECC_NIST_P256 at its documented 100 a second, counted across both operations.
        var p256 = await BurstAsync(101, () => endpoint.Kms.GenerateDataKeyPairAsync(Pair(DataKeyPairSpec.ECC_NIST_P256)), firstOf: 50,
            rest: () => endpoint.Kms.GenerateDataKeyPairWithoutPlaintextAsync(PairWithoutPlaintext(DataKeyPairSpec.ECC_NIST_P256)));
        // Other specs have their own quotas; the configured RSA_2048 rate wins over the documented 20.
        await endpoint.Kms.GenerateDataKeyPairAsync(Pair(DataKeyPairSpec.ECC_NIST_P384));
        await endpoint.Kms.GenerateDataKeyPairWithoutPlaintextAsync(PairWithoutPlaintext(DataKeyPairSpec.RSA_2048));
        var rsaThrottled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.GenerateDataKeyPairAsync(Pair(DataKeyPairSpec.RSA_2048)));
        // A spec that is none is the operation's own error, not a quota's.
        var invalid = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.GenerateDataKeyPairAsync(Pair(DataKeyPairSpec.FindValue("RSA_1024"))));
        // None of the pairs took from the symmetric cryptographic quota (1 a second here).
        await endpoint.Kms.EncryptTextAsync(key.KeyId, "a");
        var symmetricThrottled = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.EncryptTextAsync(key.KeyId, "b"));

        Assert.Equal((100, 1), p256);
        Assert.Equal("ThrottlingException", rsaThrottled.ErrorCode);
        Assert.Equal("ValidationException", invalid.ErrorCode);
        Assert.Equal("ThrottlingException", symmetricThrottled.ErrorCode);
        time.Advance(TimeSpan.FromSeconds(1));
        await endpoint.Kms.GenerateDataKeyPairWithoutPlaintextAsync(PairWithoutPlaintext(DataKeyPairSpec.ECC_NIST_P256));
    }

    /// <summary>
    /// Sends <paramref name="count"/> requests within one second of the fake clock, several at once (the first
    /// <paramref name="firstOf"/> with <paramref name="call"/>, the others with <paramref name="rest"/> when given), and
    /// counts those that passed and those that were throttled; any other error fails the test.
    /// </summary>
    private static async Task<(int Passed, int Throttled)> BurstAsync(
        int count, Func<Task> call, int concurrency = 8, int? firstOf = null, Func<Task>? rest = null)
    {
        var passed = 0;
        var throttled = 0;
        var next = -1;
        async Task WorkAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                try
                {
                    await (rest is not null && i >= firstOf ? rest() : call());
                    Interlocked.Increment(ref passed);
                }
                catch (AmazonKeyManagementServiceException e) when (e.ErrorCode == "ThrottlingException")
                {
                    Interlocked.Increment(ref throttled);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => WorkAsync()));
        return (passed, throttled);
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
