using System.Text.Json;
using KmsConsole.Iam.Tests.Endpoints;
using KmsConsole.LocalKms.Iam;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;
using KmsConsole.LocalKms.Storage;

namespace KmsConsole.Iam.Tests;

/// <summary>The authorizer the KMS request pipeline runs before each operation, over a real key ring and IAM store.</summary>
public sealed class KmsAuthorizerTests : IAsyncLifetime
{
    private const string Account = "111122223333";
    private const string OldKey = "1234abcd-12ab-34cd-56ef-1234567890ab";
    private const string NewKey = "0987dcba-09fe-87dc-65ba-ab0987654321";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "kmsconsole-iam-authorizer-" + Guid.NewGuid().ToString("N"));
    private LocalIamServer _iam = null!;
    private IamTarget _target = null!;
    private KmsDatabase _database = null!;
    private KeyRing _ring = null!;
    private IamKmsAuthorizer _authorizer = null!;

    public async Task InitializeAsync()
    {
        _iam = await LocalIamServer.StartAsync(_data, configure: o => o.Seed = false);
        _target = new IamTarget(IamTarget.Local, _iam.Endpoint, Account);
        _database = KmsDatabase.Open(Path.Combine(_data, "kms"));
        _ring = new KeyRing(_database, "us-east-1", Account);
        var now = DateTimeOffset.UtcNow;
        _ring.SaveAlias(new KmsAlias { AliasName = "alias/FirstCMK", TargetKeyId = OldKey, CreationDate = now, LastUpdatedDate = now });
        _authorizer = new IamKmsAuthorizer(_iam.Enforcer, _ring);
        await _target.CreateRoleAsync("KMSWorkshop-InstanceInitRole");
    }

    public async Task DisposeAsync()
    {
        _database.Dispose();
        _target.Dispose();
        await _iam.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    private static JsonElement Body(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void UpdateAlias_is_checked_on_the_alias_the_current_key_and_the_new_key()
    {
        var required = _authorizer.RequiredPermissions("UpdateAlias", Body($$"""{"AliasName":"alias/FirstCMK","TargetKeyId":"{{NewKey}}"}"""));

        Assert.Equal(
        [
            ("kms:UpdateAlias", $"arn:aws:kms:us-east-1:{Account}:alias/FirstCMK"),
            ("kms:UpdateAlias", $"arn:aws:kms:us-east-1:{Account}:key/{OldKey}"),
            ("kms:UpdateAlias", $"arn:aws:kms:us-east-1:{Account}:key/{NewKey}"),
        ], required);
    }

    [Theory]
    [InlineData("Encrypt", """{"KeyId":"alias/FirstCMK"}""", "kms:Encrypt", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")]
    [InlineData("DisableKey", """{"KeyId":"arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"}""", "kms:DisableKey", "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321")]
    [InlineData("CreateKey", """{"Origin":"EXTERNAL"}""", "kms:CreateKey", "*")]
    [InlineData("ListAliases", """{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}""", "kms:ListAliases", "*")]
    [InlineData("Decrypt", """{}""", "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/*")]
    public void Operations_are_checked_on_the_key_they_name_or_on_star(string operation, string body, string action, string resource) =>
        Assert.Equal([(action, resource)], _authorizer.RequiredPermissions(operation, Body(body)));

    [Fact]
    public void With_enforcement_off_nothing_is_refused() =>
        _authorizer.Authorize("AKIDANYONE", "ScheduleKeyDeletion", Body($$"""{"KeyId":"{{OldKey}}"}"""));

    [Fact]
    public async Task A_role_lacking_UpdateAlias_gets_KMSs_AccessDeniedException_until_the_workshop_policy_is_attached()
    {
        _iam.Options.EnforceKmsPermissions = true;
        var body = Body($$"""{"AliasName":"alias/FirstCMK","TargetKeyId":"{{NewKey}}"}""");

        var refused = Assert.Throws<KmsException>(() => _authorizer.Authorize("KMSWorkshop-InstanceInitRole", "UpdateAlias", body));
        var policy = await _target.Client.CreatePolicyAsync(Rotation.Iam.LeastPrivilegePolicy.WorkshopPolicyName, Rotation.Iam.LeastPrivilegePolicy.Workshop("us-east-1", Account));
        await _target.Client.AttachRolePolicyAsync("KMSWorkshop-InstanceInitRole", policy.Arn);
        _authorizer.Authorize("KMSWorkshop-InstanceInitRole", "UpdateAlias", body);

        Assert.Equal("AccessDeniedException", refused.ErrorType);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(
            $"User: arn:aws:sts::{Account}:assumed-role/KMSWorkshop-InstanceInitRole/KMSWorkshop-InstanceInitRole is not authorized to perform: kms:UpdateAlias on resource: arn:aws:kms:us-east-1:{Account}:alias/FirstCMK because no identity-based policy allows the kms:UpdateAlias action",
            refused.Message);
    }

    [Fact]
    public void An_unknown_access_key_is_refused_as_an_unrecognized_client()
    {
        _iam.Options.EnforceKmsPermissions = true;

        var refused = Assert.Throws<KmsException>(() => _authorizer.Authorize("AKIDLOCAL", "ListKeys", Body("{}")));

        Assert.Equal("UnrecognizedClientException", refused.ErrorType);
    }
}
