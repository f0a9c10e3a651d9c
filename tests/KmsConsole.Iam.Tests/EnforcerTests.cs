using KmsConsole.Iam.Tests.Endpoints;
using KmsConsole.LocalKms.Iam;

namespace KmsConsole.Iam.Tests;

/// <summary>The local endpoint's KMS enforcement, as the KMS dispatcher will call it.</summary>
public sealed class EnforcerTests : IAsyncLifetime
{
    private const string Account = "111122223333";
    private const string Alias = "arn:aws:kms:us-east-1:111122223333:alias/FirstCMK";
    private const string Key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "kmsconsole-iam-enforcer-" + Guid.NewGuid().ToString("N"));
    private LocalIamServer _server = null!;
    private IamTarget _target = null!;

    public async Task InitializeAsync()
    {
        _server = await LocalIamServer.StartAsync(_data, configure: o => o.Seed = false);
        _target = new IamTarget(IamTarget.Local, _server.Endpoint, Account);
    }

    public async Task DisposeAsync()
    {
        _target.Dispose();
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    [Fact]
    public async Task Enforcement_is_off_by_default_and_allows_any_caller()
    {
        var decision = await _server.Enforcer.AuthorizeAsync("AKIDNOBODY", "ScheduleKeyDeletion", Key);

        Assert.False(_server.Options.EnforceKmsPermissions);
        Assert.True(decision.IsAllowed);
    }

    [Fact]
    public async Task A_role_without_UpdateAlias_is_refused_in_KMSs_words()
    {
        await _target.CreateRoleAsync("KMSWorkshop-InstanceInitRole");
        await _server.Store.MapAccessKeyAsync("AKIDWORKSHOP", "KMSWorkshop-InstanceInitRole");
        await _target.PutRolePolicyAsync("KMSWorkshop-InstanceInitRole", "Describe", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*"}]}""");
        _server.Options.EnforceKmsPermissions = true;

        var describe = await _server.Enforcer.AuthorizeAsync("AKIDWORKSHOP", "DescribeKey", Key);
        var update = await _server.Enforcer.AuthorizeAsync("AKIDWORKSHOP", "UpdateAlias", Alias);

        Assert.True(describe.IsAllowed);
        Assert.Equal("Describe", describe.DecidingPolicy);
        Assert.False(update.IsAllowed);
        Assert.Equal("AccessDeniedException", update.ErrorCode);
        Assert.Equal(
            "User: arn:aws:sts::111122223333:assumed-role/KMSWorkshop-InstanceInitRole/AKIDWORKSHOP is not authorized to perform: kms:UpdateAlias on resource: arn:aws:kms:us-east-1:111122223333:alias/FirstCMK because no identity-based policy allows the kms:UpdateAlias action",
            update.Message);
    }

    [Fact]
    public async Task After_the_workshop_policy_is_attached_UpdateAlias_is_allowed_on_the_alias_and_both_keys()
    {
        await _target.CreateRoleAsync("Rotator");
        _server.Options.EnforceKmsPermissions = true;
        var resources = new[] { Alias, Key, "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321" };
        var before = await _server.Enforcer.AuthorizeAllAsync("Rotator", "kms:UpdateAlias", resources);

        var policy = await _target.Client.CreatePolicyAsync("KMSWorkshop-RotationDisableOps", Rotation.Iam.LeastPrivilegePolicy.Workshop("us-east-1", Account));
        await _target.Client.AttachRolePolicyAsync("Rotator", policy.Arn);
        var after = await _server.Enforcer.AuthorizeAllAsync("Rotator", "kms:UpdateAlias", resources);

        Assert.False(before.IsAllowed);
        Assert.True(after.IsAllowed);
        Assert.Equal("KMSWorkshop-RotationDisableOps", after.DecidingPolicy);
    }

    [Fact]
    public async Task An_explicit_deny_is_worded_as_such()
    {
        await _target.CreateRoleAsync("Guarded");
        await _target.PutRolePolicyAsync("Guarded", "All", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""");
        await _target.PutRolePolicyAsync("Guarded", "NoDelete", """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}""");
        _server.Options.EnforceKmsPermissions = true;

        var decision = await _server.Enforcer.AuthorizeAsync("Guarded", "ScheduleKeyDeletion", Key);

        Assert.False(decision.IsAllowed);
        Assert.Equal("NoDelete", decision.DecidingPolicy);
        Assert.Equal($"User: arn:aws:sts::{Account}:assumed-role/Guarded/Guarded is not authorized to perform: kms:ScheduleKeyDeletion on resource: {Key} with an explicit deny in an identity-based policy", decision.Message);
    }

    [Fact]
    public async Task An_access_key_that_maps_to_no_role_is_an_unrecognized_client()
    {
        _server.Options.EnforceKmsPermissions = true;

        var decision = await _server.Enforcer.AuthorizeAsync("AKIDUNKNOWN", "DescribeKey", Key);

        Assert.False(decision.IsAllowed);
        Assert.Equal(("UnrecognizedClientException", "The security token included in the request is invalid."), (decision.ErrorCode, decision.Message));
    }

    [Fact]
    public async Task The_IAM_world_survives_a_restart_from_its_data_folder()
    {
        await _target.CreateRoleAsync("Durable");
        var policy = await _target.Client.CreatePolicyAsync("DurablePolicy", Rotation.Iam.LeastPrivilegePolicy.Workshop("us-east-1", Account));
        await _target.Client.CreatePolicyVersionAsync(policy.Arn, """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:EnableKey","Resource":"*"}]}""", setAsDefault: true);
        await _target.Client.AttachRolePolicyAsync("Durable", policy.Arn);
        await _server.Store.MapAccessKeyAsync("AKIDDURABLE", "Durable");
        _target.Dispose();
        await _server.DisposeAsync();

        _server = await LocalIamServer.StartAsync(_data, configure: o => o.Seed = false);
        _target = new IamTarget(IamTarget.Local, _server.Endpoint, Account);
        _server.Options.EnforceKmsPermissions = true;

        Assert.True(File.Exists(Path.Combine(_data, "iam.db")));
        Assert.Equal("Durable", (await _target.Client.GetRoleAsync("Durable")).RoleName);
        Assert.Equal("v2", (await _target.Client.GetPolicyAsync(policy.Arn)).DefaultVersionId);
        Assert.Equal([policy.Arn], (await _target.Client.ListAttachedRolePoliciesAsync("Durable")).Select(a => a.PolicyArn));
        Assert.True((await _server.Enforcer.AuthorizeAsync("AKIDDURABLE", "EnableKey", Key)).IsAllowed);
        Assert.False((await _server.Enforcer.AuthorizeAsync("AKIDDURABLE", "DisableKey", Key)).IsAllowed);
    }

    [Fact]
    public void Query_requests_are_told_apart_from_KMS_JSON_requests()
    {
        var iam = new Microsoft.AspNetCore.Http.DefaultHttpContext().Request;
        iam.Method = "POST";
        iam.ContentType = "application/x-www-form-urlencoded; charset=utf-8";
        var kms = new Microsoft.AspNetCore.Http.DefaultHttpContext().Request;
        kms.Method = "POST";
        kms.ContentType = "application/x-amz-json-1.1";
        kms.Headers["X-Amz-Target"] = "TrentService.UpdateAlias";

        Assert.True(IamQueryEndpoint.IsIamRequest(iam));
        Assert.False(IamQueryEndpoint.IsIamRequest(kms));
        Assert.Equal(("AKIDLOCAL", "kms"), IamQueryEndpoint.ReadCredential("AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261129/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"));
    }
}

public sealed class SeedTests
{
    [Fact]
    public async Task A_fresh_data_folder_is_seeded_once_with_the_workshop_role_acting_for_AKIDLOCAL()
    {
        var data = Path.Combine(Path.GetTempPath(), "kmsconsole-iam-seed-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var server = await LocalIamServer.StartAsync(data))
            {
                var role = await server.Store.ResolvePrincipalAsync("AKIDLOCAL");
                Assert.Equal(IamSeed.RoleName, role?.RoleName);
                Assert.Equal([IamSeed.PolicyName], (await server.Store.ListAttachedRolePoliciesAsync(IamSeed.RoleName)).Select(a => a.PolicyName));
                await server.Store.PutRolePolicyAsync(IamSeed.RoleName, "AddedLater", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:EnableKey","Resource":"*"}]}""");
            }

            await using (var restarted = await LocalIamServer.StartAsync(data))
            {
                Assert.False(restarted.Store.IsNew);
                Assert.Equal(["AddedLater"], await restarted.Store.ListRolePoliciesAsync(IamSeed.RoleName));
            }
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // Left to the OS's temp cleanup.
            }
        }
    }

    [Fact]
    public async Task Seeding_can_be_turned_off()
    {
        var data = Path.Combine(Path.GetTempPath(), "kmsconsole-iam-noseed-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = await LocalIamServer.StartAsync(data, configure: o => o.Seed = false);

            Assert.Null(await server.Store.ResolvePrincipalAsync("AKIDLOCAL"));
            Assert.Null(await server.Store.FindRoleAsync(IamSeed.RoleName));
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // Left to the OS's temp cleanup.
            }
        }
    }
}
