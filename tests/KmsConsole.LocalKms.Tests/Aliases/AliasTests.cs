using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Aliases;

public class AliasTests
{
    [Fact]
    public async Task An_alias_lists_with_its_arn_and_target_and_filters_by_KeyId()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var one = await endpoint.Kms.CreateKeyAsync();
        var two = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/one", TargetKeyId = one.KeyId });
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/two", TargetKeyId = two.Arn });

        var all = await endpoint.Kms.ListAliasesAsync(new ListAliasesRequest());
        var ofTwo = await endpoint.Kms.ListAliasesAsync(new ListAliasesRequest { KeyId = two.KeyId });

        Assert.Equal(["alias/one", "alias/two"], all.Aliases.Select(a => a.AliasName));
        var alias = Assert.Single(ofTwo.Aliases);
        Assert.Equal("alias/two", alias.AliasName);
        Assert.Equal("arn:aws:kms:us-east-1:111122223333:alias/two", alias.AliasArn);
        Assert.Equal(two.KeyId, alias.TargetKeyId);
        Assert.NotNull(alias.CreationDate);
    }

    [Fact]
    public async Task UpdateAlias_moves_the_alias_so_encryption_by_alias_uses_the_new_key()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync(seed: true);
        var oldKey = await endpoint.Kms.DescribeAsync("alias/FirstCMK");
        var oldCiphertext = await endpoint.Kms.EncryptTextAsync("alias/FirstCMK", "old");
        var newKey = await endpoint.Kms.CreateKeyAsync();

        await endpoint.Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = "alias/FirstCMK", TargetKeyId = newKey.KeyId });

        Assert.Equal(newKey.KeyId, (await endpoint.Kms.DescribeAsync("alias/FirstCMK")).KeyId);
        var encrypted = await endpoint.Kms.EncryptAsync(new EncryptRequest { KeyId = "alias/FirstCMK", Plaintext = new MemoryStream([1, 2, 3]) });
        Assert.Equal(newKey.Arn, encrypted.KeyId);
        Assert.Equal("old", await endpoint.Kms.DecryptTextAsync(oldCiphertext));
        Assert.NotEqual(oldKey.KeyId, newKey.KeyId);
    }

    [Fact]
    public async Task A_second_alias_with_the_same_name_is_AlreadyExistsException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/taken", TargetKeyId = key.KeyId });

        var error = await Assert.ThrowsAsync<AlreadyExistsException>(() =>
            endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/taken", TargetKeyId = key.KeyId }));

        Assert.Equal("AlreadyExistsException", error.ErrorCode);
    }

    [Theory]
    [InlineData("FirstCMK", "ValidationException")]
    [InlineData("alias/has space", "ValidationException")]
    [InlineData("alias/has:colon", "ValidationException")]
    [InlineData("alias/aws/mine", "NotAuthorizedException")]
    [InlineData("alias/", "InvalidAliasNameException")]
    public async Task Alias_names_outside_the_rules_are_refused(string aliasName, string errorCode)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = aliasName, TargetKeyId = key.KeyId }));

        Assert.Equal(errorCode, error.ErrorCode);
        Assert.Empty((await endpoint.Kms.ListAliasesAsync(new ListAliasesRequest())).Aliases ?? []);
    }

    [Fact]
    public async Task UpdateAlias_between_a_symmetric_and_an_RSA_key_is_refused()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var symmetric = await endpoint.Kms.CreateKeyAsync();
        var rsa = await endpoint.Kms.CreateKeyAsync(keySpec: KeySpec.RSA_3072);
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/app", TargetKeyId = symmetric.KeyId });

        var error = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            endpoint.Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = "alias/app", TargetKeyId = rsa.KeyId }));

        Assert.Equal("ValidationException", error.ErrorCode);
        Assert.Equal(symmetric.KeyId, (await endpoint.Kms.DescribeAsync("alias/app")).KeyId);
    }

    [Fact]
    public async Task UpdateAlias_to_a_key_pending_deletion_is_KMSInvalidStateException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var current = await endpoint.Kms.CreateKeyAsync();
        var doomed = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/app", TargetKeyId = current.KeyId });
        await endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = doomed.KeyId, PendingWindowInDays = 7 });

        await Assert.ThrowsAsync<KMSInvalidStateException>(() =>
            endpoint.Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = "alias/app", TargetKeyId = doomed.KeyId }));

        Assert.Equal(current.KeyId, (await endpoint.Kms.DescribeAsync("alias/app")).KeyId);
    }

    [Fact]
    public async Task Updating_or_deleting_a_missing_alias_is_NotFoundException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = "alias/none", TargetKeyId = key.KeyId }));
        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = "alias/none" }));
    }

    [Fact]
    public async Task DeleteAlias_removes_the_name_but_not_the_key()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/gone", TargetKeyId = key.KeyId });

        await endpoint.Kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = "alias/gone" });

        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync("alias/gone"));
        Assert.Equal(KeyState.Enabled, (await endpoint.Kms.DescribeAsync(key.KeyId)).KeyState);
    }
}
