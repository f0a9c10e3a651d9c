using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Policies;

public class KeyPolicyTests
{
    private const string RootStatement = """{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}""";

    public static TheoryData<string, string> Malformed => new()
    {
        { "no statement", """{"Version":"2012-10-17"}""" },
        { "empty statement list", """{"Version":"2012-10-17","Statement":[]}""" },
        { "bad effect", """{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}""" },
        { "unknown element", """{"Version":"2012-10-17","Owner":"me","Statement":[""" + RootStatement + "]}" },
        { "unknown statement element", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Expires":"never"}]}""" },
        { "no principal", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""" },
        { "not json", "{not json" },
        { "over 32 KB", """{"Version":"2012-10-17","Id":"{{pad}}","Statement":[""".Replace("{{pad}}", new string('x', 33 * 1024), StringComparison.Ordinal) + RootStatement + "]}" },
    };

    [Theory, MemberData(nameof(Malformed))]
    public async Task A_malformed_policy_is_MalformedPolicyDocumentException_and_changes_nothing(string why, string policy)
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        var before = (await endpoint.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId })).Policy;

        var put = await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => endpoint.Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = policy }));
        var create = await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { Policy = policy }));

        Assert.NotEmpty(put.Message + why);
        Assert.NotEmpty(create.Message);
        Assert.Equal(before, (await endpoint.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId })).Policy);
        Assert.Single((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys);
    }

    [Fact]
    public async Task A_policy_that_locks_the_account_out_is_refused_unless_the_safety_check_is_bypassed()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        const string readOnly = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["kms:DescribeKey","kms:GetKeyPolicy"],"Resource":"*"}]}""";

        var refused = await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() => endpoint.Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = readOnly }));
        await endpoint.Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = readOnly, BypassPolicyLockoutSafetyCheck = true });

        Assert.Equal("The new key policy will not allow you to update the key policy in the future.", refused.Message);
        Assert.Equal(readOnly, (await endpoint.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId })).Policy);
    }

    [Fact]
    public async Task ListKeyPolicies_names_the_one_default_policy()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var listed = await endpoint.Kms.ListKeyPoliciesAsync(new ListKeyPoliciesRequest { KeyId = key.Arn });

        Assert.Equal(["default"], listed.PolicyNames);
        Assert.False(listed.Truncated);
        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.ListKeyPoliciesAsync(new ListKeyPoliciesRequest { KeyId = Guid.NewGuid().ToString() }));
    }
}

public class CustomKeyStoreTests
{
    [Fact]
    public async Task The_account_has_no_custom_key_stores()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var stores = await endpoint.Kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest());
        var byId = await Assert.ThrowsAsync<CustomKeyStoreNotFoundException>(() => endpoint.Kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreId = "cks-1234567890abcdef0" }));
        await Assert.ThrowsAsync<CustomKeyStoreNotFoundException>(() => endpoint.Kms.ConnectCustomKeyStoreAsync(new ConnectCustomKeyStoreRequest { CustomKeyStoreId = "cks-1234567890abcdef0" }));
        await Assert.ThrowsAsync<CustomKeyStoreNotFoundException>(() => endpoint.Kms.DisconnectCustomKeyStoreAsync(new DisconnectCustomKeyStoreRequest { CustomKeyStoreId = "cks-1234567890abcdef0" }));
        await Assert.ThrowsAsync<CustomKeyStoreNotFoundException>(() => endpoint.Kms.DeleteCustomKeyStoreAsync(new DeleteCustomKeyStoreRequest { CustomKeyStoreId = "cks-1234567890abcdef0" }));
        await Assert.ThrowsAsync<CustomKeyStoreNotFoundException>(() => endpoint.Kms.UpdateCustomKeyStoreAsync(new UpdateCustomKeyStoreRequest { CustomKeyStoreId = "cks-1234567890abcdef0", NewCustomKeyStoreName = "x" }));
        await Assert.ThrowsAsync<CustomKeyStoreNotFoundException>(() => endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { CustomKeyStoreId = "cks-1234567890abcdef0", Origin = OriginType.AWS_CLOUDHSM }));
        await Assert.ThrowsAsync<CloudHsmClusterNotFoundException>(() => endpoint.Kms.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
        {
            CustomKeyStoreName = "hsm", CloudHsmClusterId = "cluster-234abcdefgh", TrustAnchorCertificate = "cert", KeyStorePassword = "password1",
        }));

        Assert.Empty(stores.CustomKeyStores ?? []);
        Assert.False(stores.Truncated);
        Assert.Contains("cannot find a custom key store", byId.Message, StringComparison.Ordinal);
        Assert.Empty((await endpoint.Kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
    }
}

public class AwsManagedKeyTests
{
    [Fact]
    public async Task An_aws_alias_creates_its_AWS_managed_key_on_first_use_with_yearly_rotation()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();

        var described = await endpoint.Kms.DescribeAsync("alias/aws/s3");
        var again = await endpoint.Kms.DescribeAsync("alias/aws/s3");
        var ciphertext = await endpoint.Kms.EncryptTextAsync("alias/aws/s3", "object data");
        var rotation = await endpoint.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = described.KeyId });

        Assert.Equal(KeyManagerType.AWS, described.KeyManager);
        Assert.Equal(described.KeyId, again.KeyId);
        Assert.Equal("object data", await endpoint.Kms.DecryptTextAsync(ciphertext));
        Assert.True(rotation.KeyRotationEnabled);
        Assert.Equal(365, rotation.RotationPeriodInDays);
        Assert.Contains((await endpoint.Kms.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.AliasName == "alias/aws/s3" && a.TargetKeyId == described.KeyId);
        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.DescribeAsync("alias/aws/not-a-service"));
    }

    [Fact]
    public async Task An_AWS_managed_key_cannot_be_disabled_deleted_rerotated_or_given_another_policy()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.DescribeAsync("alias/aws/ebs");

        var refusals = new List<AmazonKeyManagementServiceException>
        {
            await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId })),
            await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 })),
            await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = key.KeyId })),
            await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = 90 })),
            await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId })),
            await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => endpoint.Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest
            {
                KeyId = key.KeyId,
                Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}""",
            })),
        };

        Assert.All(refusals, e => Assert.Equal("AccessDeniedException", e.ErrorCode));
        var after = await endpoint.Kms.DescribeAsync(key.KeyId);
        Assert.Equal(KeyState.Enabled, after.KeyState);
        Assert.Equal(key.CurrentKeyMaterialId, after.CurrentKeyMaterialId);
    }
}
