using System.Security.Cryptography;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Validation;

/// <summary>AWS's words for refused input, as LocalStack's AWS-recorded snapshots (tests/aws/services/kms/test_kms.snapshot.json) hold them.</summary>
public class ExactValidationTests
{
    [Fact]
    public async Task A_tag_value_too_long_names_the_tag_member_path_and_the_bound()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var value = new string('v', 257);

        var error = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.CreateKeyAsync(new CreateKeyRequest
        {
            Tags = [new Tag { TagKey = "fine", TagValue = "fine" }, new Tag { TagKey = "long", TagValue = value }],
        }));

        Assert.Equal("ValidationException", error.ErrorCode);
        Assert.Equal($"1 validation error detected: Value '{value}' at 'tags.2.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256", error.Message);
    }

    [Fact]
    public async Task A_plaintext_too_long_is_refused_without_echoing_it()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.EncryptAsync(new EncryptRequest
        {
            KeyId = key.KeyId,
            Plaintext = new MemoryStream(RandomNumberGenerator.GetBytes(4097)),
        }));

        Assert.Equal("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096", error.Message);
    }

    [Theory]
    [InlineData(0, "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1")]
    [InlineData(1025, "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024")]
    public async Task A_number_out_of_bounds_names_the_one_bound_it_breaks(int numberOfBytes, string message)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var (status, body, _) = await Raw.PostAsync(endpoint.Server.Endpoint, "TrentService.GenerateRandom", $$"""{"NumberOfBytes":{{numberOfBytes}}}""");

        Assert.Equal(400, (int)status);
        Assert.Equal("ValidationException", body.GetProperty("__type").GetString());
        Assert.Equal(message, body.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("fake-key-id")]
    [InlineData("134f2428cec14b25a1ae9048164dba47")]
    [InlineData("mrk-fake-key-id")]
    public async Task A_malformed_key_id_is_Invalid_keyId(string keyId)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var error = await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync(keyId));

        Assert.Equal($"Invalid keyId '{keyId}'", error.Message);
    }

    [Fact]
    public async Task Tag_rules_answer_TagException_in_AWS_words_and_change_nothing()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "owner", TagValue = "ops" }] });

        var reserved = await Assert.ThrowsAsync<TagException>(() => endpoint.Kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "AWS:owner", TagValue = "x" }] }));
        var duplicate = await Assert.ThrowsAsync<TagException>(() => endpoint.Kms.TagResourceAsync(new TagResourceRequest
        {
            KeyId = key.KeyId,
            Tags = [new Tag { TagKey = "tag1", TagValue = "value1" }, new Tag { TagKey = "tag1", TagValue = "another-value1" }],
        }));
        var tooManyAtCreate = await Assert.ThrowsAsync<TagException>(() => endpoint.Kms.CreateKeyAsync(new CreateKeyRequest
        {
            Tags = [.. Enumerable.Range(0, 51).Select(i => new Tag { TagKey = $"key{i}", TagValue = $"value{i}" })],
        }));
        var tooManyInTotal = await Assert.ThrowsAsync<TagException>(() => endpoint.Kms.TagResourceAsync(new TagResourceRequest
        {
            KeyId = key.KeyId,
            Tags = [.. Enumerable.Range(0, 50).Select(i => new Tag { TagKey = $"key{i}", TagValue = $"value{i}" })],
        }));

        Assert.Equal("Tags beginning with aws: are reserved", reserved.Message);
        Assert.Equal("Duplicate tag keys", duplicate.Message);
        Assert.Equal("Too many tags", tooManyAtCreate.Message);
        Assert.Equal("Too many tags", tooManyInTotal.Message);
        Assert.Equal("owner", Assert.Single((await endpoint.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId })).Tags).TagKey);
        Assert.Single((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys);
    }
}

/// <summary>Every operation of the model with a DryRun member answers DryRunOperationException and does nothing.</summary>
public class DryRunTests
{
    [Fact]
    public async Task Every_operation_that_takes_DryRun_stops_with_DryRunOperationException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var kms = endpoint.Kms;
        var symmetric = await kms.CreateKeyAsync();
        var signing = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.SIGN_VERIFY })).KeyMetadata;
        var mac = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.HMAC_256, KeyUsage = KeyUsageType.GENERATE_VERIFY_MAC })).KeyMetadata;
        var agreement = (await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.KEY_AGREEMENT })).KeyMetadata;
        var ciphertext = await kms.EncryptTextAsync(symmetric.KeyId, "dry");
        var signature = (await kms.SignAsync(new SignRequest { KeyId = signing.KeyId, Message = new MemoryStream([1]), SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256 })).Signature.ToArray();
        var tag = (await kms.GenerateMacAsync(new GenerateMacRequest { KeyId = mac.KeyId, Message = new MemoryStream([1]), MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256 })).Mac.ToArray();
        var grant = await kms.CreateGrantAsync(new CreateGrantRequest { KeyId = symmetric.KeyId, GranteePrincipal = "arn:aws:iam::111122223333:role/App", Operations = [GrantOperation.Decrypt] });
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        var dryRuns = new Dictionary<string, Func<Task>>
        {
            ["CreateGrant"] = () => kms.CreateGrantAsync(new CreateGrantRequest { KeyId = symmetric.KeyId, GranteePrincipal = "arn:aws:iam::111122223333:role/App", Operations = [GrantOperation.Encrypt], DryRun = true }),
            ["Decrypt"] = () => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(ciphertext), DryRun = true }),
            ["DeriveSharedSecret"] = () => kms.DeriveSharedSecretAsync(new DeriveSharedSecretRequest
            {
                KeyId = agreement.KeyId, KeyAgreementAlgorithm = KeyAgreementAlgorithmSpec.ECDH, PublicKey = new MemoryStream(peer.ExportSubjectPublicKeyInfo()), DryRun = true,
            }),
            ["Encrypt"] = () => kms.EncryptAsync(new EncryptRequest { KeyId = symmetric.KeyId, Plaintext = new MemoryStream([1]), DryRun = true }),
            ["GenerateDataKey"] = () => kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = symmetric.KeyId, KeySpec = DataKeySpec.AES_256, DryRun = true }),
            ["GenerateDataKeyPair"] = () => kms.GenerateDataKeyPairAsync(new GenerateDataKeyPairRequest { KeyId = symmetric.KeyId, KeyPairSpec = DataKeyPairSpec.ECC_NIST_P256, DryRun = true }),
            ["GenerateDataKeyPairWithoutPlaintext"] = () => kms.GenerateDataKeyPairWithoutPlaintextAsync(new GenerateDataKeyPairWithoutPlaintextRequest { KeyId = symmetric.KeyId, KeyPairSpec = DataKeyPairSpec.ECC_NIST_P256, DryRun = true }),
            ["GenerateDataKeyWithoutPlaintext"] = () => kms.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest { KeyId = symmetric.KeyId, KeySpec = DataKeySpec.AES_256, DryRun = true }),
            ["GenerateMac"] = () => kms.GenerateMacAsync(new GenerateMacRequest { KeyId = mac.KeyId, Message = new MemoryStream([1]), MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256, DryRun = true }),
            ["ReEncrypt"] = () => kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = new MemoryStream(ciphertext), DestinationKeyId = symmetric.KeyId, DryRun = true }),
            ["RetireGrant"] = () => kms.RetireGrantAsync(new RetireGrantRequest { GrantToken = grant.GrantToken, DryRun = true }),
            ["RevokeGrant"] = () => kms.RevokeGrantAsync(new RevokeGrantRequest { KeyId = symmetric.KeyId, GrantId = grant.GrantId, DryRun = true }),
            ["Sign"] = () => kms.SignAsync(new SignRequest { KeyId = signing.KeyId, Message = new MemoryStream([1]), SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256, DryRun = true }),
            ["Verify"] = () => kms.VerifyAsync(new VerifyRequest
            {
                KeyId = signing.KeyId, Message = new MemoryStream([1]), Signature = new MemoryStream(signature), SigningAlgorithm = SigningAlgorithmSpec.ECDSA_SHA_256, DryRun = true,
            }),
            ["VerifyMac"] = () => kms.VerifyMacAsync(new VerifyMacRequest { KeyId = mac.KeyId, Message = new MemoryStream([1]), Mac = new MemoryStream(tag), MacAlgorithm = MacAlgorithmSpec.HMAC_SHA_256, DryRun = true }),
        };

        var model = new[]
        {
            "CreateGrant", "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
            "GenerateDataKeyWithoutPlaintext", "GenerateMac", "ReEncrypt", "RetireGrant", "RevokeGrant", "Sign", "Verify", "VerifyMac",
        };
        Assert.Equal(model.Order(), dryRuns.Keys.Order());
        foreach (var (operation, call) in dryRuns)
        {
            var error = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(call);
            Assert.True(error.ErrorCode == "DryRunOperationException", $"{operation} answered {error.ErrorCode}: {error.Message}");
        }

        Assert.Single((await kms.ListGrantsAsync(new ListGrantsRequest { KeyId = symmetric.KeyId })).Grants);
    }
}
