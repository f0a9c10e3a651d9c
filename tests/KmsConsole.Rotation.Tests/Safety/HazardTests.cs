using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Iam;
using KmsConsole.Rotation.Safety;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Safety;

public sealed class HazardTests
{
    private static RotationRequest Swap(string alias, OldKeyFate fate = OldKeyFate.Keep) =>
        new(RotationWorld.Target, alias, WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = fate }, "quarterly rotation");

    [Fact]
    public async Task A_key_used_a_minute_ago_gets_the_recent_use_warning_before_the_request()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var (keyId, alias) = await world.NewAwsKeyAsync("recent");
        await world.EncryptAsync(alias, "invoice");
        clock.Advance(TimeSpan.FromMinutes(1));

        var plan = await world.Requests.PreflightAsync(Swap(alias, OldKeyFate.Disable));

        Assert.True(plan.Allowed, string.Join(" ", plan.Refusals));
        var recent = Assert.Single(plan.Hazards, h => h.Id == "used-recently");
        Assert.Equal(HazardWeight.Warning, recent.Weight);
        Assert.Contains($"{keyId} was used within the last 30 days", recent.Words, StringComparison.Ordinal);
        Assert.Contains($"GetKeyLastUsage of {keyId}: Encrypt at ", recent.Evidence, StringComparison.Ordinal);
        Assert.DoesNotContain(plan.Hazards, h => h.IsHigh);
    }

    [Fact]
    public async Task A_key_unused_for_longer_than_the_window_gets_no_use_warning()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock, configure: o => o.Safety.RecentUseDays = 7);
        var (_, alias) = await world.NewAwsKeyAsync("stale");
        await world.EncryptAsync(alias, "invoice");
        clock.Advance(TimeSpan.FromDays(8));

        var plan = await world.Requests.PreflightAsync(Swap(alias));

        Assert.DoesNotContain(plan.Hazards, h => h.Id == "used-recently" || h.Id == "used-after-alias-moved");
    }

    [Fact]
    public async Task A_key_used_by_ARN_after_the_swap_blocks_its_fate_until_an_approver_acknowledges_it()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKeyId, alias) = await world.NewAwsKeyAsync("byarn");
        var oldArn = (await world.DescribeAsync(oldKeyId)).Arn;
        var run = await world.Requests.SubmitAsync(RotationWorld.Alice, Swap(alias, OldKeyFate.Disable));
        var orchestrator = world.NewOrchestrator();
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "go");
        await orchestrator.DrainAsync(CancellationToken.None);
        var atFate = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.AwaitingApproval, atFate.State);
        Assert.DoesNotContain(SafetyReview.Of(atFate).Hazards, h => h.IsHigh);

        // An application that names the old key by ARN, not by the alias, keeps using it after the swap.
        await world.EncryptAsync(oldArn, "still here");
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, "fate ok");
        await orchestrator.DrainAsync(CancellationToken.None);

        var blocked = (await world.Runs.GetAsync(run.Id))!;
        Assert.Equal(RunState.AwaitingApproval, blocked.State);
        var high = Assert.Single(SafetyReview.Of(blocked).Unacknowledged);
        Assert.Equal("used-after-alias-moved", high.Id);
        Assert.Contains($"{oldKeyId} was used after {alias} moved", high.Words, StringComparison.Ordinal);
        Assert.Contains("Encrypt at ", high.Evidence, StringComparison.Ordinal);
        Assert.Contains("high hazard(s) block the old key's fate", blocked.CurrentStep!.Output, StringComparison.Ordinal);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Enabled, (await world.DescribeAsync(oldKeyId)).KeyState);

        var acknowledgements = world.Get<HazardAcknowledgements>();
        Assert.False(acknowledgements.MayAcknowledge(RotationWorld.Alice, blocked));
        Assert.True(acknowledgements.MayAcknowledge(RotationWorld.Bob, blocked));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => acknowledgements.AcknowledgeAsync(RotationWorld.Alice, run.Id, "mine"));
        var noComment = await Assert.ThrowsAsync<RotationRefusedException>(() => acknowledgements.AcknowledgeAsync(RotationWorld.Bob, run.Id, " "));
        Assert.Equal(RefusalKind.Invalid, noComment.Kind);
        Assert.Equal(RunState.AwaitingApproval, (await world.Runs.GetAsync(run.Id))!.State);

        await acknowledgements.AcknowledgeAsync(RotationWorld.Bob, run.Id, "the batch job moves to the alias tonight");
        var done = await world.DriveAsync(run.Id, orchestrator);

        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Disabled, (await world.DescribeAsync(oldKeyId)).KeyState);
        Assert.Equal("Bob Approver", SafetyReview.Of(done).AcknowledgedBy);
        var audit = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "hazards.acknowledged" }, 0, 10)).Items;
        var acknowledged = Assert.Single(audit);
        Assert.Equal("bob", acknowledged.Actor);
        Assert.Contains("the batch job moves to the alias tonight", acknowledged.Details, StringComparison.Ordinal);
        Assert.Contains($"{oldKeyId} was used after {alias} moved", acknowledged.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runs_own_sample_decrypt_after_the_swap_is_not_taken_for_a_callers_use()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKeyId, alias) = await world.NewAwsKeyAsync("ownuse");
        var run = await world.Requests.SubmitAsync(RotationWorld.Alice, Swap(alias, OldKeyFate.Disable));

        var done = await world.DriveAsync(run.Id);

        Assert.Equal(RunState.Succeeded, done.State);
        Assert.DoesNotContain(SafetyReview.Of(done).Hazards, h => h.IsHigh);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Disabled, (await world.DescribeAsync(oldKeyId)).KeyState);
    }

    [Fact]
    public async Task Key_policies_naming_the_old_key_are_high_and_those_naming_the_alias_or_the_role_policies_naming_the_old_key_are_warnings()
    {
        const string Role = "KmsConsole-Rotator";
        await using var world = await RotationWorld.StartAsync(configure: o => o.Targets[0].AccessKeyId = Role);
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        await iam.CreateRoleAsync(Role, "/", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "rotates keys in this test", 3600);
        var (oldKeyId, alias) = await world.NewAwsKeyAsync("named");
        var oldArn = (await world.DescribeAsync(oldKeyId)).Arn;
        await iam.PutRolePolicyAsync(Role, "Rotate", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""");
        await iam.PutRolePolicyAsync(Role, "PinnedKey",
            """{"Version":"2012-10-17","Statement":[{"Sid":"Pinned","Effect":"Allow","Action":"kms:Decrypt","Resource":"OLD"}]}""".Replace("OLD", oldArn, StringComparison.Ordinal));
        var other = (await world.Kms.CreateKeyAsync(new CreateKeyRequest
        {
            Policy = """
                {"Version":"2012-10-17","Statement":[
                  {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
                  {"Sid":"ByAlias","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/AppRole"},"Action":"kms:Decrypt","Resource":"*",
                   "Condition":{"ForAnyValue:StringEquals":{"kms:ResourceAliases":"ALIAS"}}}]}
                """.Replace("ALIAS", alias, StringComparison.Ordinal),
        })).KeyMetadata.KeyId;
        // The old key's own policy names it by ARN: copied to the new key, that statement no longer applies to it.
        await world.Kms.PutKeyPolicyAsync(new PutKeyPolicyRequest
        {
            KeyId = oldKeyId, PolicyName = "default",
            Policy = """
                {"Version":"2012-10-17","Statement":[
                  {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
                  {"Sid":"AppDecrypts","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/AppRole"},"Action":"kms:Decrypt","Resource":"OLD"}]}
                """.Replace("OLD", oldArn, StringComparison.Ordinal),
        });
        await world.Inventory.SyncAsync(null);
        world.Server.Services.GetRequiredService<LocalIamOptions>().EnforceKmsPermissions = true;

        var plan = await world.Requests.PreflightAsync(Swap(alias, OldKeyFate.Disable));

        var ownPolicy = Assert.Single(plan.Hazards, h => h.Id == $"key-policy:{oldKeyId}:old-key");
        Assert.Equal(HazardWeight.High, ownPolicy.Weight);
        Assert.Equal($"the key policy of the old key {oldKeyId}: statement \"AppDecrypts\", Resource = {oldArn}", ownPolicy.Evidence);
        var pinned = Assert.Single(plan.Hazards, h => h.Id == $"iam-policy:{Role}/PinnedKey:old-key");
        Assert.Equal(HazardWeight.Warning, pinned.Weight);
        Assert.Equal($"the inline policy PinnedKey of role {Role}: statement \"Pinned\", Resource = {oldArn}", pinned.Evidence);
        var byAlias = Assert.Single(plan.Hazards, h => h.Id == $"key-policy:{other}:alias");
        Assert.Equal(HazardWeight.Warning, byAlias.Weight);
        Assert.Contains($"Condition ForAnyValue:StringEquals kms:ResourceAliases = {alias}", byAlias.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_grant_on_the_old_key_is_listed_as_a_hazard_and_a_new_key_policy_granting_less_is_seen_at_the_fate()
    {
        await using var world = await RotationWorld.StartAsync();
        var (oldKeyId, alias) = await world.NewAwsKeyAsync("granted");
        var grant = await world.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = oldKeyId, GranteePrincipal = "arn:aws:iam::111122223333:role/AppRole", Operations = [Amazon.KeyManagementService.GrantOperation.Decrypt],
        });

        var plan = await world.Requests.PreflightAsync(Swap(alias));

        var listed = Assert.Single(plan.Hazards, h => h.Id == $"grant:{grant.GrantId}");
        Assert.Contains("arn:aws:iam::111122223333:role/AppRole", listed.Words, StringComparison.Ordinal);
        Assert.Contains("copies it to the new key", listed.Words, StringComparison.Ordinal);
    }
}
