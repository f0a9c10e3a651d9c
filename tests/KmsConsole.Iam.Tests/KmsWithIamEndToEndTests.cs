using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.Iam.Tests.Endpoints;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Iam;
using KmsConsole.LocalKms.Protocol;
using KmsConsole.Rotation.Iam;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Iam.Tests;

/// <summary>
/// KMS and IAM on one local endpoint as AddLocalKms/MapLocalKms serve them (POST / routed to IAM for
/// Query requests), driven by the AWS SDK's KMS client and the
/// IAM client: a role lacking kms:UpdateAlias is refused by KMS as AWS refuses it, preflight names the action,
/// and after the generated policy is attached preflight passes and the alias moves.
/// </summary>
public sealed class KmsWithIamEndToEndTests : IAsyncLifetime
{
    private const string Role = "KMSWorkshop-InstanceInitRole";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "kmsconsole-kms-iam-" + Guid.NewGuid().ToString("N"));
    private WebApplication _app = null!;
    private Uri _endpoint = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["LocalKms:Iam:EnforceKmsPermissions"] = "true";
        builder.Services.AddLocalKms(o => o.DataDirectory = _data);
        _app = builder.Build();
        _app.MapLocalKms();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _endpoint = new Uri(address.TrimEnd('/') + "/");
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    private AmazonKeyManagementServiceClient KmsAs(string accessKeyId) => new(
        new BasicAWSCredentials(accessKeyId, "local-secret"),
        new AmazonKeyManagementServiceConfig { ServiceURL = _endpoint.ToString(), AuthenticationRegion = "us-east-1" });

    [Fact]
    public async Task The_seeded_workshop_role_is_refused_UpdateAlias_like_AWS_until_the_generated_policy_is_applied()
    {
        // The endpoint's documented client key acts as the seeded KMSWorkshop-InstanceInitRole, which may create
        // keys but holds none of the rotation permissions: the workshop's starting point.
        using var admin = new IamTarget(IamTarget.Local, _endpoint, "111122223333", accessKeyId: "IamAdministrator");
        var roleArn = $"arn:aws:iam::111122223333:role/{Role}";
        using var kms = KmsAs("AKIDLOCAL");
        var oldKey = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata;
        var newKey = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "FirstCMK successor" })).KeyMetadata;
        var resources = new KmsRunResources("us-east-1", "111122223333", oldKey.Arn, "alias/FirstCMK");
        var preflight = new PermissionPreflight(admin.Client);

        var refusedPreflight = await preflight.CheckWorkflowAsync(roleArn, "AliasSwapNewKey", resources, oldKeyFate: "Keep");
        var refused = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = "alias/FirstCMK", TargetKeyId = newKey.KeyId }));

        Assert.Contains("kms:UpdateAlias", refusedPreflight.MissingActions);
        Assert.Equal(PermissionSource.SimulatePrincipalPolicy, refusedPreflight.Source);
        Assert.Equal("AccessDeniedException", refused.ErrorCode);
        Assert.Equal(
            $"User: arn:aws:sts::111122223333:assumed-role/{Role}/AKIDLOCAL is not authorized to perform: kms:UpdateAlias on resource: arn:aws:kms:us-east-1:111122223333:alias/FirstCMK because no identity-based policy allows the kms:UpdateAlias action",
            refused.Message);

        var policy = await admin.Client.CreatePolicyAsync(LeastPrivilegePolicy.PolicyNameFor("AliasSwapNewKey"),
            LeastPrivilegePolicy.ForWorkflow("AliasSwapNewKey", resources, PolicyScope.Account, oldKeyFate: "Keep"));
        await admin.Client.AttachRolePolicyAsync(Role, policy.Arn);
        var passedPreflight = await preflight.CheckWorkflowAsync(roleArn, "AliasSwapNewKey", resources, oldKeyFate: "Keep");
        await kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = "alias/FirstCMK", TargetKeyId = newKey.KeyId });

        Assert.True(passedPreflight.Allowed, string.Join("\n", passedPreflight.Refusals));
        var moved = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata;
        Assert.Equal(newKey.KeyId, moved.KeyId);
    }

    [Fact]
    public async Task An_access_key_that_maps_to_no_role_is_an_unrecognized_client_to_KMS()
    {
        using var kms = KmsAs("AKIDNOBODY");

        var refused = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.ListKeysAsync(new ListKeysRequest()));

        Assert.Equal("UnrecognizedClientException", refused.ErrorCode);
    }

    [Fact]
    public async Task STS_GetCallerIdentity_on_the_same_endpoint_names_the_role_session()
    {
        using var admin = new IamTarget(IamTarget.Local, _endpoint, "111122223333", accessKeyId: "IamAdministrator");
        using var asLocalClient = admin.ClientFor("AKIDLOCAL");

        var identity = await asLocalClient.GetCallerIdentityAsync();

        Assert.Equal($"arn:aws:sts::111122223333:assumed-role/{Role}/AKIDLOCAL", identity.Arn);
    }

    [Fact]
    public async Task The_seeded_role_holds_the_import_permissions_but_not_the_rotation_ones()
    {
        using var admin = new IamTarget(IamTarget.Local, _endpoint, "111122223333", accessKeyId: "IamAdministrator");
        var resources = new KmsRunResources("us-east-1", "111122223333", KmsArns.Key("us-east-1", "111122223333", "1234abcd-12ab-34cd-56ef-1234567890ab"), "alias/FirstCMK");

        var attached = await admin.Client.ListAttachedRolePoliciesAsync(Role);
        var report = await new PermissionPreflight(admin.Client).CheckWorkflowAsync($"arn:aws:iam::111122223333:role/{Role}", "EnableAutomaticRotation", resources);

        Assert.Equal([IamSeed.PolicyName], attached.Select(a => a.PolicyName));
        // kms:GetKeyLastUsage: the key list's refresh when the run ends reads the key's last use.
        Assert.Equal(["kms:EnableKeyRotation", "kms:GetKeyLastUsage"], report.MissingActions);
    }
}
