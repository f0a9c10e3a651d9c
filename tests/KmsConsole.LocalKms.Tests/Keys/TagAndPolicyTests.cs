using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.Support;

namespace KmsConsole.LocalKms.Tests.Keys;

public class TagAndPolicyTests
{
    [Fact]
    public async Task Tags_given_at_creation_and_later_are_listed_and_can_be_removed()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = (await endpoint.Kms.CreateKeyAsync(new CreateKeyRequest { Tags = [new Tag { TagKey = "team", TagValue = "payments" }] })).KeyMetadata;

        await endpoint.Kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "env", TagValue = "prod" }, new Tag { TagKey = "team", TagValue = "billing" }] });
        var tagged = await endpoint.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.Arn });
        await endpoint.Kms.UntagResourceAsync(new UntagResourceRequest { KeyId = key.KeyId, TagKeys = ["env"] });
        var untagged = await endpoint.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId });

        Assert.Equal(["env=prod", "team=billing"], tagged.Tags.Select(t => $"{t.TagKey}={t.TagValue}").Order());
        Assert.Equal(["team=billing"], untagged.Tags.Select(t => $"{t.TagKey}={t.TagValue}"));
    }

    [Fact]
    public async Task Tag_keys_with_the_aws_prefix_are_TagException()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var error = await Assert.ThrowsAsync<TagException>(() =>
            endpoint.Kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "aws:reserved", TagValue = "x" }] }));

        Assert.Equal("TagException", error.ErrorCode);
        Assert.Empty((await endpoint.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId })).Tags ?? []);
    }

    [Fact]
    public async Task A_key_pending_deletion_refuses_tag_changes()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        await endpoint.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });

        await Assert.ThrowsAsync<KMSInvalidStateException>(() =>
            endpoint.Kms.TagResourceAsync(new TagResourceRequest { KeyId = key.KeyId, Tags = [new Tag { TagKey = "k", TagValue = "v" }] }));
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => endpoint.Kms.UntagResourceAsync(new UntagResourceRequest { KeyId = key.KeyId, TagKeys = ["k"] }));
    }

    [Fact]
    public async Task A_key_created_without_a_policy_gets_the_default_key_policy_for_the_account_root()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();

        var policy = await endpoint.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId });

        Assert.Equal("default", policy.PolicyName);
        using var document = JsonDocument.Parse(policy.Policy);
        var statement = document.RootElement.GetProperty("Statement")[0];
        Assert.Equal("arn:aws:iam::111122223333:root", statement.GetProperty("Principal").GetProperty("AWS").GetString());
        Assert.Equal("kms:*", statement.GetProperty("Action").GetString());
    }

    [Fact]
    public async Task PutKeyPolicy_replaces_the_policy_and_refuses_malformed_documents()
    {
        await using var endpoint = await KmsTestEndpoint.StartAsync();
        var key = await endpoint.Kms.CreateKeyAsync();
        const string policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":"kms:*","Resource":"*"}]}""";

        await endpoint.Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "default", Policy = policy });
        var malformed = await Assert.ThrowsAsync<MalformedPolicyDocumentException>(() =>
            endpoint.Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, Policy = "{not json" }));

        Assert.Equal("MalformedPolicyDocumentException", malformed.ErrorCode);
        Assert.Equal(policy, (await endpoint.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId })).Policy);
        await Assert.ThrowsAsync<NotFoundException>(() => endpoint.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "other" }));
    }
}
