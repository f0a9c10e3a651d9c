using System.Text.RegularExpressions;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.External.Endpoints;

namespace KmsConsole.LocalKms.Tests.External.CrossCheck;

public sealed class KeyAndAliasCrossCheckTests(ExternalEndpointsFixture endpoints) : CrossCheckTests(endpoints)
{
    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task CreateKey_returns_an_enabled_symmetric_customer_managed_key(string name)
    {
        var target = Target(name);
        var before = DateTime.UtcNow.AddMinutes(-2);

        var key = await NewKeyAsync(target, description: "workshop FirstCMK copy");

        Assert.Matches(new Regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"), key.KeyId);
        Assert.Matches(new Regex($"^arn:aws:kms:us-east-1:[0-9]{{12}}:key/{key.KeyId}$"), key.Arn);
        Assert.Equal("workshop FirstCMK copy", key.Description);
        Assert.Equal(KeySpec.SYMMETRIC_DEFAULT, key.KeySpec);
        Assert.Equal(KeyUsageType.ENCRYPT_DECRYPT, key.KeyUsage);
        Assert.Equal(OriginType.AWS_KMS, key.Origin);
        Assert.Equal(KeyManagerType.CUSTOMER, key.KeyManager);
        Assert.Equal(KeyState.Enabled, key.KeyState);
        Assert.True(key.Enabled);
        Assert.Contains("SYMMETRIC_DEFAULT", key.EncryptionAlgorithms ?? []);
        Assert.InRange(key.CreationDate!.Value.ToUniversalTime(), before, DateTime.UtcNow.AddMinutes(2));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task DescribeKey_finds_the_key_by_id_key_arn_alias_name_and_alias_arn(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var alias = UniqueAlias("describe");
        await target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyId });
        var aliasArn = key.Arn[..key.Arn.IndexOf(":key/", StringComparison.Ordinal)] + ":" + alias;

        foreach (var id in new[] { key.KeyId, key.Arn, alias, aliasArn })
        {
            var found = await DescribeAsync(target, id);
            Assert.Equal(key.KeyId, found.KeyId);
            Assert.Equal(key.Arn, found.Arn);
        }
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task DescribeKey_of_an_unknown_key_or_alias_is_NotFoundException(string name)
    {
        var target = Target(name);

        await AssertRefusedAsync("NotFoundException", () => DescribeAsync(target, Guid.NewGuid().ToString()));
        await AssertRefusedAsync("NotFoundException", () => DescribeAsync(target, UniqueAlias("missing")));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Operations_on_an_unknown_key_are_NotFoundException(string name)
    {
        var target = Target(name);
        var missing = Guid.NewGuid().ToString();

        await AssertRefusedAsync("NotFoundException", () => EncryptAsync(target, missing, Secret("x")));
        await AssertRefusedAsync("NotFoundException", () => target.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = missing }));
        await AssertRefusedAsync("NotFoundException", () => target.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = missing }));
        await AssertRefusedAsync("NotFoundException", () => target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = missing }));
        await AssertRefusedAsync("NotFoundException", () => target.Kms.ListAliasesAsync(new ListAliasesRequest { KeyId = missing }));
        await AssertRefusedAsync("NotFoundException", () => target.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = missing }));
        await AssertRefusedAsync("NotFoundException", () => target.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = missing, PendingWindowInDays = 7 }));
        await AssertRefusedAsync("NotFoundException", () => target.Kms.TagResourceAsync(new TagResourceRequest
        {
            KeyId = missing,
            Tags = [new Tag { TagKey = "k", TagValue = "v" }],
        }));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task ListKeys_includes_every_created_key(string name)
    {
        var target = Target(name);
        var first = await NewKeyAsync(target);
        var second = await NewKeyAsync(target);

        var listed = new List<KeyListEntry>();
        string? marker = null;
        do
        {
            var page = await target.Kms.ListKeysAsync(new ListKeysRequest { Marker = marker });
            listed.AddRange(page.Keys ?? []);
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);

        Assert.Contains(listed, k => k.KeyId == first.KeyId && k.KeyArn == first.Arn);
        Assert.Contains(listed, k => k.KeyId == second.KeyId && k.KeyArn == second.Arn);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task ListKeys_pages_with_Limit_and_Marker(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto ignores Limit and Marker on ListKeys and always returns every key with Truncated=false; AWS returns at most Limit keys with Truncated=true and a NextMarker.");
        await NewKeyAsync(target);
        await NewKeyAsync(target);

        var all = new List<string>();
        string? marker = null;
        var pages = 0;
        do
        {
            var page = await target.Kms.ListKeysAsync(new ListKeysRequest { Limit = 1, Marker = marker });
            var keys = page.Keys ?? [];
            Assert.True(keys.Count <= 1, $"Limit=1 returned {keys.Count} keys");
            all.AddRange(keys.Select(k => k.KeyId));
            if (page.Truncated == true)
            {
                Assert.False(string.IsNullOrEmpty(page.NextMarker));
            }

            marker = page.Truncated == true ? page.NextMarker : null;
            pages++;
        }
        while (marker is not null && pages < 10_000);

        Assert.True(pages >= 2, "two or more keys must take two or more pages of one");
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task UpdateKeyDescription_changes_the_description(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target, description: "before");

        await target.Kms.UpdateKeyDescriptionAsync(new UpdateKeyDescriptionRequest { KeyId = key.KeyId, Description = "after" });

        Assert.Equal("after", (await DescribeAsync(target, key.KeyId)).Description);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task ListAliases_with_KeyId_shows_only_that_keys_aliases(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var other = await NewKeyAsync(target);
        var alias = UniqueAlias("list");
        var otherAlias = UniqueAlias("other");
        await target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyId });
        await target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = otherAlias, TargetKeyId = other.Arn });

        var aliases = await AliasesOfAsync(target, key.KeyId);

        var entry = Assert.Single(aliases);
        Assert.Equal(alias, entry.AliasName);
        Assert.Equal(key.KeyId, entry.TargetKeyId);
        Assert.Matches(new Regex($"^arn:aws:kms:us-east-1:[0-9]{{12}}:{Regex.Escape(alias)}$"), entry.AliasArn);
        Assert.Equal(other.KeyId, Assert.Single(await AliasesOfAsync(target, other.KeyId)).TargetKeyId);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task CreateAlias_with_a_taken_name_is_AlreadyExistsException(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var other = await NewKeyAsync(target);
        var alias = UniqueAlias("dup");
        await target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyId });

        await AssertRefusedAsync("AlreadyExistsException", () =>
            target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = other.KeyId }));

        Assert.Equal(key.KeyId, (await DescribeAsync(target, alias)).KeyId);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task CreateAlias_without_the_alias_prefix_is_ValidationException(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var bare = $"xcheck-bare-{Guid.NewGuid():N}";

        await AssertRefusedAsync("ValidationException", () =>
            target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = bare, TargetKeyId = key.KeyId }));

        Assert.Empty(await AliasesOfAsync(target, key.KeyId));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task CreateAlias_with_characters_outside_the_alias_pattern_is_refused(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);

        // The model's pattern is ^[a-zA-Z0-9:/_-]+$ (a constraint failure is ValidationException);
        // ':' passes the pattern but AWS still refuses it in alias names.
        // Built at run time: the SDK's analyzer rejects a pattern-breaking literal at compile time.
        var withSpace = string.Join(' ', "alias/has", "space");
        await AssertRefusedAsync("ValidationException", () =>
            target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = withSpace, TargetKeyId = key.KeyId }));
        await AssertRefusedAsync("ValidationException", () =>
            target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/has:colon", TargetKeyId = key.KeyId }));

        Assert.Empty(await AliasesOfAsync(target, key.KeyId));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task CreateAlias_in_the_reserved_alias_aws_namespace_is_refused(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto refuses only the alias/aws/<service> names it knows (alias/aws/ebs, ...) and creates any other alias/aws/... name; AWS reserves the whole alias/aws/ prefix for AWS managed keys.");
        var key = await NewKeyAsync(target);
        var reserved = $"alias/aws/xcheck{Guid.NewGuid():N}";

        // NotAuthorizedException: what AWS answers for the reserved prefix, and what moto answers for the names it reserves.
        await AssertRefusedAsync("NotAuthorizedException", () =>
            target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = reserved, TargetKeyId = key.KeyId }));

        Assert.Empty(await AliasesOfAsync(target, key.KeyId));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task UpdateAlias_points_the_alias_at_the_new_key_and_old_ciphertexts_still_decrypt(string name)
    {
        var target = Target(name);
        var oldKey = await NewKeyAsync(target);
        var newKey = await NewKeyAsync(target);
        var alias = UniqueAlias("swap");
        await target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = oldKey.KeyId });
        var oldCiphertext = await EncryptAsync(target, alias, Secret("before the swap"));

        await target.Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = alias, TargetKeyId = newKey.KeyId });

        Assert.Equal(newKey.KeyId, (await DescribeAsync(target, alias)).KeyId);
        Assert.Empty(await AliasesOfAsync(target, oldKey.KeyId));
        Assert.Equal(alias, Assert.Single(await AliasesOfAsync(target, newKey.KeyId)).AliasName);
        var newCiphertext = await EncryptAsync(target, alias, Secret("after the swap"));
        var newDecrypted = await DecryptAsync(target, newCiphertext);
        Assert.Equal(newKey.Arn, newDecrypted.KeyId);
        var oldDecrypted = await DecryptAsync(target, oldCiphertext);
        Assert.Equal(oldKey.Arn, oldDecrypted.KeyId);
        Assert.Equal(Secret("before the swap"), oldDecrypted.Plaintext.ToArray());
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task UpdateAlias_of_a_missing_alias_is_NotFoundException(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);

        await AssertRefusedAsync("NotFoundException", () =>
            target.Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = UniqueAlias("nowhere"), TargetKeyId = key.KeyId }));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task UpdateAlias_to_a_key_of_another_type_is_refused_and_the_alias_stays(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto's UpdateAlias moves an alias between any two keys; AWS requires the current and new key to be the same type (symmetric/asymmetric/HMAC) and key usage.");
        var symmetric = await NewKeyAsync(target);
        var rsa = await NewKeyAsync(target, keySpec: KeySpec.RSA_2048);
        var alias = UniqueAlias("type");
        await target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = symmetric.KeyId });

        var ex = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            target.Kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = alias, TargetKeyId = rsa.KeyId }));

        Assert.InRange((int)ex.StatusCode, 400, 499);
        Assert.Equal(symmetric.KeyId, (await DescribeAsync(target, alias)).KeyId);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task DeleteAlias_removes_the_alias_and_a_second_delete_is_NotFoundException(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var alias = UniqueAlias("delete");
        await target.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyId });

        await target.Kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = alias });

        Assert.Empty(await AliasesOfAsync(target, key.KeyId));
        await AssertRefusedAsync("NotFoundException", () => DescribeAsync(target, alias));
        await AssertRefusedAsync("NotFoundException", () => target.Kms.DeleteAliasAsync(new DeleteAliasRequest { AliasName = alias }));
        Assert.Equal(KeyState.Enabled, (await DescribeAsync(target, key.KeyId)).KeyState);
    }
}
