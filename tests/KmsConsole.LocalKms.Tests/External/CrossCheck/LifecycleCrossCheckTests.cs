using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Tests.External.Endpoints;

namespace KmsConsole.LocalKms.Tests.External.CrossCheck;

public sealed class LifecycleCrossCheckTests(ExternalEndpointsFixture endpoints) : CrossCheckTests(endpoints)
{
    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task DisableKey_and_EnableKey_change_the_key_state(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);

        await target.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });
        var disabled = await DescribeAsync(target, key.KeyId);
        await target.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });
        var enabled = await DescribeAsync(target, key.KeyId);

        Assert.Equal(KeyState.Disabled, disabled.KeyState);
        Assert.False(disabled.Enabled);
        Assert.Equal(KeyState.Enabled, enabled.KeyState);
        Assert.True(enabled.Enabled);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task A_disabled_key_refuses_cryptographic_operations_with_DisabledException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto keeps encrypting, decrypting and generating data keys with a disabled key; AWS refuses them with DisabledException.");
        var key = await NewKeyAsync(target);
        var ciphertext = await EncryptAsync(target, key.KeyId, Secret("made while enabled"));

        await target.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });

        await AssertRefusedAsync("DisabledException", () => EncryptAsync(target, key.KeyId, Secret("x")));
        await AssertRefusedAsync("DisabledException", () => DecryptAsync(target, ciphertext));
        await AssertRefusedAsync("DisabledException", () =>
            target.Kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = key.KeyId, KeySpec = DataKeySpec.AES_256 }));

        await target.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId });
        Assert.Equal(Secret("made while enabled"), (await DecryptAsync(target, ciphertext)).Plaintext.ToArray());
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task ScheduleKeyDeletion_then_CancelKeyDeletion_leaves_the_key_Disabled(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);

        var scheduled = await target.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 7 });
        var pending = await DescribeAsync(target, key.KeyId);

        Assert.NotNull(scheduled.DeletionDate);
        var expected = DateTime.UtcNow.AddDays(7);
        Assert.InRange(scheduled.DeletionDate!.Value.ToUniversalTime(), expected.AddHours(-1), expected.AddHours(1));
        Assert.Equal(KeyState.PendingDeletion, pending.KeyState);
        Assert.False(pending.Enabled);
        Assert.NotNull(pending.DeletionDate);

        await target.Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key.KeyId });
        var cancelled = await DescribeAsync(target, key.KeyId);

        Assert.Equal(KeyState.Disabled, cancelled.KeyState);
        Assert.False(cancelled.Enabled);
        Assert.Null(cancelled.DeletionDate);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task CancelKeyDeletion_of_a_key_not_pending_deletion_is_KMSInvalidStateException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto's CancelKeyDeletion on a key that is not pending deletion succeeds and disables the key; AWS refuses it with KMSInvalidStateException and leaves the key as it was.");
        var key = await NewKeyAsync(target);

        await AssertRefusedAsync("KMSInvalidStateException", () => target.Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = key.KeyId }));

        Assert.Equal(KeyState.Enabled, (await DescribeAsync(target, key.KeyId)).KeyState);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task ScheduleKeyDeletion_answers_with_state_and_window(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto's ScheduleKeyDeletion response carries only KeyId and DeletionDate (KeyId as sent); AWS also returns the key ARN, KeyState=PendingDeletion and PendingWindowInDays.");
        var key = await NewKeyAsync(target);

        var scheduled = await target.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 10 });

        Assert.Equal(key.Arn, scheduled.KeyId);
        Assert.Equal(KeyState.PendingDeletion, scheduled.KeyState);
        Assert.Equal(10, scheduled.PendingWindowInDays);
        Assert.Equal(10, (await DescribeAsync(target, key.KeyId)).PendingDeletionWindowInDays);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task ScheduleKeyDeletion_outside_7_to_30_days_is_refused_and_changes_nothing(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto answers ScheduleKeyDeletion with a window outside 7-30 days with HTTP 200 and DeletionDate=null and leaves the key as it was; AWS rejects the request (the window must be 7-30 days).");
        var key = await NewKeyAsync(target);

        foreach (var days in new[] { 6, 31 })
        {
            var ex = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
                target.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = days }));
            Assert.InRange((int)ex.StatusCode, 400, 499);
        }

        Assert.Equal(KeyState.Enabled, (await DescribeAsync(target, key.KeyId)).KeyState);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task A_key_pending_deletion_refuses_use_and_EnableKey_with_KMSInvalidStateException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto encrypts with, and re-enables, a key pending deletion; AWS refuses both with KMSInvalidStateException until CancelKeyDeletion.");
        var key = await NewKeyAsync(target);
        var ciphertext = await EncryptAsync(target, key.KeyId, Secret("before"));
        await target.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyId, PendingWindowInDays = 30 });

        await AssertRefusedAsync("KMSInvalidStateException", () => EncryptAsync(target, key.KeyId, Secret("x")));
        await AssertRefusedAsync("KMSInvalidStateException", () => DecryptAsync(target, ciphertext));
        await AssertRefusedAsync("KMSInvalidStateException", () => target.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = key.KeyId }));
        Assert.Equal(KeyState.PendingDeletion, (await DescribeAsync(target, key.KeyId)).KeyState);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task EnableKeyRotation_and_DisableKeyRotation_show_in_GetKeyRotationStatus(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);

        var initially = await target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        await target.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId });
        var enabled = await target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        await target.Kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = key.KeyId });
        var disabled = await target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });

        Assert.False(initially.KeyRotationEnabled);
        Assert.True(enabled.KeyRotationEnabled);
        Assert.False(disabled.KeyRotationEnabled);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task EnableKeyRotation_with_a_period_reports_period_and_next_rotation_date(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto ignores RotationPeriodInDays and its GetKeyRotationStatus returns only KeyRotationEnabled; AWS returns KeyId, RotationPeriodInDays (default 365) and NextRotationDate.");
        var key = await NewKeyAsync(target);

        await target.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = 180 });
        var custom = await target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId });
        var other = await NewKeyAsync(target);
        await target.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = other.KeyId });
        var byDefault = await target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = other.KeyId });

        Assert.Equal(180, custom.RotationPeriodInDays);
        Assert.NotNull(custom.NextRotationDate);
        var expected = DateTime.UtcNow.AddDays(180);
        Assert.InRange(custom.NextRotationDate!.Value.ToUniversalTime(), expected.AddDays(-1), expected.AddDays(1));
        Assert.Equal(365, byDefault.RotationPeriodInDays);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task EnableKeyRotation_outside_90_to_2560_days_is_refused(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto accepts any RotationPeriodInDays (it ignores the member); AWS's model bounds it to 90-2560 days.");
        var key = await NewKeyAsync(target);

        foreach (var days in new[] { 89, 2561 })
        {
            // A value outside the model's range is a constraint failure: ValidationException.
            await AssertRefusedAsync("ValidationException", () =>
                target.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = days }));
        }

        Assert.False((await target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId })).KeyRotationEnabled);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task EnableKeyRotation_of_an_asymmetric_or_imported_key_is_UnsupportedOperationException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto enables automatic rotation on any key, including RSA and EXTERNAL keys; AWS supports it only on symmetric keys with AWS_KMS material (UnsupportedOperationException otherwise).");
        var rsa = await NewKeyAsync(target, keySpec: KeySpec.RSA_2048);
        var external = await NewKeyAsync(target, origin: OriginType.EXTERNAL);

        await AssertRefusedAsync("UnsupportedOperationException", () =>
            target.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = rsa.KeyId }));
        var externalRefusal = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            target.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = external.KeyId }));

        // An EXTERNAL key without material is PendingImport, so AWS may answer with the state error first.
        Assert.Contains(externalRefusal.ErrorCode, new[] { "UnsupportedOperationException", "KMSInvalidStateException" });
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task CreateKey_with_EXTERNAL_origin_waits_in_PendingImport(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto creates an EXTERNAL key Enabled (and encrypts with it) without any imported material; AWS creates it in PendingImport, and moto has no GetParametersForImport/ImportKeyMaterial.");
        var external = await NewKeyAsync(target, origin: OriginType.EXTERNAL);

        Assert.Equal(OriginType.EXTERNAL, external.Origin);
        Assert.Equal(KeyState.PendingImport, external.KeyState);
        Assert.False(external.Enabled);
        await AssertRefusedAsync("KMSInvalidStateException", () => EncryptAsync(target, external.KeyId, Secret("x")));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task RotateKeyOnDemand_is_listed_by_ListKeyRotations_and_old_ciphertexts_still_decrypt(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var before = await EncryptAsync(target, key.KeyId, Secret("before rotation"));

        var rotated = await target.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });
        var after = await EncryptAsync(target, key.KeyId, Secret("after rotation"));

        Assert.Contains(key.KeyId, rotated.KeyId);
        // AWS rotates asynchronously; the rotation is listed once done.
        List<RotationsListEntry> rotations = [];
        for (var attempt = 0; attempt < 50 && rotations.Count == 0; attempt++)
        {
            rotations = (await target.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId })).Rotations ?? [];
            if (rotations.Count == 0)
            {
                await Task.Delay(100);
            }
        }

        var entry = Assert.Single(rotations);
        Assert.Equal(RotationType.ON_DEMAND, entry.RotationType);
        Assert.NotNull(entry.RotationDate);
        Assert.InRange(entry.RotationDate!.Value.ToUniversalTime(), DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5));
        Assert.Equal(Secret("before rotation"), (await DecryptAsync(target, before)).Plaintext.ToArray());
        Assert.Equal(Secret("after rotation"), (await DecryptAsync(target, after)).Plaintext.ToArray());
        Assert.Equal(key.KeyId, (await DescribeAsync(target, key.KeyId)).KeyId);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task RotateKeyOnDemand_changes_the_key_material(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto's RotateKeyOnDemand only records a rotation entry: no new key material, no KeyMaterialId in ListKeyRotations or DescribeKey (CurrentKeyMaterialId); AWS makes new current material.");
        var key = await NewKeyAsync(target);
        var before = (await DescribeAsync(target, key.KeyId)).CurrentKeyMaterialId;

        await target.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });
        var after = (await DescribeAsync(target, key.KeyId)).CurrentKeyMaterialId;
        var all = (await target.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest
        {
            KeyId = key.KeyId,
            IncludeKeyMaterial = IncludeKeyMaterial.ALL_KEY_MATERIAL,
        })).Rotations ?? [];

        Assert.False(string.IsNullOrEmpty(before));
        Assert.False(string.IsNullOrEmpty(after));
        Assert.NotEqual(before, after);
        Assert.Contains(all, r => r.KeyMaterialId == after && r.KeyMaterialState == KeyMaterialState.CURRENT);
        Assert.Contains(all, r => r.KeyMaterialId == before && r.KeyMaterialState == KeyMaterialState.NON_CURRENT);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task ListKeyRotations_pages_with_Limit_and_Marker(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        for (var i = 0; i < 3; i++)
        {
            await target.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId });
        }

        var listed = new List<RotationsListEntry>();
        string? marker = null;
        var pages = 0;
        do
        {
            var page = await target.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId, Limit = 1, Marker = marker });
            var rotations = page.Rotations ?? [];
            Assert.True(rotations.Count <= 1, $"Limit=1 returned {rotations.Count} rotations");
            listed.AddRange(rotations);
            marker = page.Truncated == true ? page.NextMarker : null;
            Assert.True(page.Truncated != true || !string.IsNullOrEmpty(page.NextMarker), "a truncated page needs a NextMarker");
            pages++;
        }
        while (marker is not null && pages < 10);

        Assert.Equal(3, listed.Count);
        Assert.All(listed, r => Assert.Equal(RotationType.ON_DEMAND, r.RotationType));
        Assert.True(pages >= 3, $"three rotations at one per page took {pages} pages");
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task GetKeyRotationStatus_of_a_disabled_key_keeps_its_status(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        await target.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId });

        await target.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });

        Assert.True((await target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId })).KeyRotationEnabled);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Rotation_changes_on_a_disabled_key_are_DisabledException(string name)
    {
        var target = Target(name);
        KnownMotoDifference(target, "moto enables, disables and rotates on demand a disabled key; AWS refuses EnableKeyRotation, DisableKeyRotation and RotateKeyOnDemand on a disabled key with DisabledException.");
        var key = await NewKeyAsync(target);
        await target.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = key.KeyId });

        await AssertRefusedAsync("DisabledException", () => target.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId }));
        await AssertRefusedAsync("DisabledException", () => target.Kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = key.KeyId }));
        await AssertRefusedAsync("DisabledException", () => target.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = key.KeyId }));

        Assert.False((await target.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId })).KeyRotationEnabled);
        Assert.Empty((await target.Kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = key.KeyId })).Rotations ?? []);
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task Tags_are_set_listed_and_removed(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target, tags: [new Tag { TagKey = "team", TagValue = "security" }]);

        await target.Kms.TagResourceAsync(new TagResourceRequest
        {
            KeyId = key.KeyId,
            Tags = [new Tag { TagKey = "env", TagValue = "rehearsal" }, new Tag { TagKey = "team", TagValue = "platform" }],
        });
        var tagged = (await target.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.KeyId })).Tags ?? [];
        await target.Kms.UntagResourceAsync(new UntagResourceRequest { KeyId = key.KeyId, TagKeys = ["env"] });
        var untagged = (await target.Kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = key.Arn })).Tags ?? [];

        Assert.Equal(
            new[] { "env=rehearsal", "team=platform" },
            tagged.Select(t => $"{t.TagKey}={t.TagValue}").Order(StringComparer.Ordinal));
        Assert.Equal("team=platform", Assert.Single(untagged.Select(t => $"{t.TagKey}={t.TagValue}")));
    }

    [SkippableTheory, MemberData(nameof(Targets), MemberType = typeof(CrossCheckTests))]
    public async Task The_default_key_policy_lets_the_account_root_in_and_PutKeyPolicy_replaces_it(string name)
    {
        var target = Target(name);
        var key = await NewKeyAsync(target);
        var account = key.Arn.Split(':')[4];

        var initial = await target.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "default" });

        using (var document = JsonDocument.Parse(initial.Policy))
        {
            Assert.Equal("2012-10-17", document.RootElement.GetProperty("Version").GetString());
            var statements = document.RootElement.GetProperty("Statement").EnumerateArray().ToList();
            Assert.Contains(statements, s =>
                s.GetProperty("Effect").GetString() == "Allow"
                && s.GetProperty("Principal").GetProperty("AWS").ToString() == $"arn:aws:iam::{account}:root"
                && s.GetProperty("Action").ToString() == "kms:*");
        }

        var replacement = $$"""
            {"Version":"2012-10-17","Id":"xcheck","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{account}}:root"},"Action":"kms:*","Resource":"*"},{"Sid":"Auditor","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::{{account}}:root"},"Action":["kms:DescribeKey","kms:GetKeyRotationStatus"],"Resource":"*"}]}
            """;
        await target.Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "default", Policy = replacement });
        var replaced = await target.Kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = key.KeyId, PolicyName = "default" });

        using var expected = JsonDocument.Parse(replacement);
        using var actual = JsonDocument.Parse(replaced.Policy);
        Assert.True(JsonElement.DeepEquals(expected.RootElement, actual.RootElement), $"policy read back differs: {replaced.Policy}");
    }
}
