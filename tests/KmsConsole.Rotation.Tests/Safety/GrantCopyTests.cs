using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.LocalKms.Iam;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Safety;

public sealed class GrantCopyTests
{
    private const string Rotator = "KmsConsole-Rotator";
    private const string App = "PayrollApp";
    private const string AppArn = "arn:aws:iam::111122223333:role/" + App;
    private const string RetiringArn = "arn:aws:iam::111122223333:role/KeyAdmins";

    [Fact]
    public async Task The_swap_copies_the_old_keys_grants_with_their_constraints_and_the_grantee_can_use_the_new_key_within_them()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Targets[0].AccessKeyId = Rotator);
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        const string Trust = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""";
        await iam.CreateRoleAsync(Rotator, "/", Trust, "rotates keys in this test", 3600);
        await iam.PutRolePolicyAsync(Rotator, "Rotate", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""");
        await iam.CreateRoleAsync(App, "/", Trust, "an application with no IAM policy: only grants let it use keys", 3600);
        var (oldKeyId, alias) = await world.NewAwsKeyAsync("granted");
        var context = new Dictionary<string, string> { ["app"] = "payroll" };
        var original = await world.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = oldKeyId,
            GranteePrincipal = AppArn,
            RetiringPrincipal = RetiringArn,
            Operations = [GrantOperation.Encrypt, GrantOperation.Decrypt],
            Constraints = new GrantConstraints { EncryptionContextSubset = context },
        });
        world.Server.Services.GetRequiredService<LocalIamOptions>().EnforceKmsPermissions = true;
        using var app = ClientAs(world, App);
        using var admin = ClientAs(world, Rotator);
        var before = await EncryptAsync(app, alias, "before the swap", context);

        var run = await world.Requests.SubmitAsync(RotationWorld.Alice,
            new RotationRequest(RotationWorld.Target, alias, WorkflowKind.AliasSwapNewKey, new RotationParameters(), "quarterly rotation"));
        var done = await world.DriveAsync(run.Id);

        Assert.Equal(RunState.Succeeded, done.State);
        var copy = Assert.Single((await admin.ListGrantsAsync(new ListGrantsRequest { KeyId = done.NewKeyId })).Grants);
        Assert.Equal(AppArn, copy.GranteePrincipal);
        Assert.Equal(RetiringArn, copy.RetiringPrincipal);
        Assert.Equal(new[] { "Decrypt", "Encrypt" }, copy.Operations.Order());
        Assert.Equal(context, copy.Constraints.EncryptionContextSubset);
        Assert.Equal($"kmsconsole-copy-{original.GrantId}", copy.Name);
        // The old key's grant is left as it was.
        Assert.Equal(original.GrantId, Assert.Single((await admin.ListGrantsAsync(new ListGrantsRequest { KeyId = oldKeyId })).Grants).GrantId);

        // Through the alias the application now reaches the new key, and its copied grant lets it in, within the constraint only.
        var after = await EncryptAsync(app, alias, "after the swap", context);
        Assert.Equal(done.NewKeyId, (await app.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(after), EncryptionContext = context })).KeyId[^36..]);
        Assert.Equal("before the swap", System.Text.Encoding.UTF8.GetString(
            (await app.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(before), EncryptionContext = context })).Plaintext.ToArray()));
        var outside = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => EncryptAsync(app, alias, "no context", new Dictionary<string, string>()));
        Assert.Equal("AccessDeniedException", outside.ErrorCode);

        var step = Assert.Single(done.Steps, s => s.Name == "Copy the old key's grants to the new key");
        Assert.Contains($"grant {original.GrantId} to {AppArn} for Encrypt, Decrypt", step.Output, StringComparison.Ordinal);
        var audited = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "step.succeeded" }, 0, 100)).Items;
        Assert.Contains(audited, e => e.Details.StartsWith("Copy the old key's grants to the new key: Copied 1 grant(s)", StringComparison.Ordinal));
    }

    private static AmazonKeyManagementServiceClient ClientAs(RotationWorld world, string role) =>
        new(new BasicAWSCredentials(role, "local-endpoint"),
            new AmazonKeyManagementServiceConfig { ServiceURL = world.Server.Endpoint.ToString(), AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    private static async Task<byte[]> EncryptAsync(IAmazonKeyManagementService kms, string keyId, string text, Dictionary<string, string> context) =>
        (await kms.EncryptAsync(new EncryptRequest
        {
            KeyId = keyId, Plaintext = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), EncryptionContext = context,
        })).CiphertextBlob.ToArray();
}
