using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Notifications;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Api.Tests;

/// <summary>The events a scheduled check finds (material and approvals expiring) and the permission grant waiting, each sent once.</summary>
public sealed class NotificationEventTests
{
    [Fact]
    public async Task Imported_material_expiring_in_five_days_is_announced_once_as_within_seven_and_again_after_a_reimport_moves_its_expiry()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var http = await HttpReceiver.StartAsync();
        var settings = NotificationTests.Channels(smtp, http, only: "hooks");
        settings["Notifications:CheckInterval"] = "01:00:00";
        await using var console = await ApiConsole.StartAsync(settings);
        var kms = console.Get<IKmsClientFactory>().Create("local");
        var material = RandomNumberGenerator.GetBytes(32);
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "partner key", Origin = OriginType.EXTERNAL })).KeyMetadata.KeyId;
        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/PartnerKey", TargetKeyId = keyId });
        await ImportAsync(kms, keyId, material, DateTime.UtcNow.AddDays(5));
        await console.Get<KeyInventory>().SyncAsync(null);
        var checks = console.Get<NotificationChecks>();

        // Two checks at once (as two instances would) and a later one: one event.
        var added = await Task.WhenAll(checks.CheckAsync(), checks.CheckAsync());
        Assert.Equal(1, added.Sum());
        Assert.Equal(0, await checks.CheckAsync());

        var hook = await http.WaitForAsync("/hooks", r => r.Body.Contains("material-expiring", StringComparison.Ordinal));
        var data = JsonDocument.Parse(hook.Body).RootElement.GetProperty("data");
        Assert.Equal("alias/PartnerKey", data.GetProperty("key").GetString());
        Assert.Contains("within 7", data.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal($"https://kms.example.test/keys/local/{keyId}", data.GetProperty("link").GetString());
        var mail = await smtp.WaitForAsync(m => m.Subject == "[KmsConsole] Imported material expiring: alias/PartnerKey");
        // Those who can request the re-import: requesters and Admins.
        Assert.Equal(["adam@kmsconsole.local", "rita@kmsconsole.local"], mail.To.Mailboxes.Select(m => m.Address).Order());

        await ImportAsync(kms, keyId, material, DateTime.UtcNow.AddDays(20));
        await console.Get<KeyInventory>().SyncAsync(null);
        Assert.Equal(1, await checks.CheckAsync());
        await http.WaitForAsync("/hooks", r => r.Body.Contains("within 30", StringComparison.Ordinal));
        await using var db = await console.DatabaseAsync();
        Assert.Equal(2, await db.NotificationMessages.CountAsync(m => m.Event == NotificationEvent.MaterialExpiring));
    }

    [Fact]
    public async Task An_approval_about_to_expire_at_a_gate_needing_two_is_announced_once_to_those_who_may_decide()
    {
        await using var smtp = SmtpReceiver.Start();
        var settings = NotificationTests.Channels(smtp, null);
        settings["Notifications:CheckInterval"] = "01:00:00";
        settings["Notifications:ApprovalExpiringWithin"] = "02:00:00";
        settings["Rotation:Approvals:AliasSwapNewKey:RequiredApprovals"] = "2";
        settings["Rotation:Approvals:AliasSwapNewKey:Lifetime"] = "01:00:00";
        await using var console = await ApiConsole.StartAsync(settings);
        using var pipeline = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));
        using var alice = console.Client(await console.TokenForAsync(ApiConsole.Demo("alice")));
        var id = (await ApiConsole.JsonOf(await ApiConsole.RequestAliasSwapAsync(pipeline))).GetProperty("id").GetGuid();
        await ApiConsole.PollUntilAsync(pipeline, id, "AwaitingApproval");
        var checks = console.Get<NotificationChecks>();
        Assert.Equal(0, await checks.CheckAsync());

        (await alice.PostAsJsonAsync($"api/v1/runs/{id}/approve", new { comment = "first of two" })).EnsureSuccessStatusCode();
        Assert.Equal("AwaitingApproval", (await ApiConsole.JsonOf(await pipeline.GetAsync($"api/v1/runs/{id}"))).GetProperty("state").GetString());
        Assert.Equal(1, await checks.CheckAsync());
        Assert.Equal(0, await checks.CheckAsync());

        var mail = await smtp.WaitForAsync(m => m.Subject == "[KmsConsole] Approval expiring: alias/FirstCMK");
        Assert.Contains("Alice Approver's approval", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("1 more approval(s)", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains($"https://kms.example.test/runs/{id}", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("rita@kmsconsole.local", mail.To.Mailboxes.Select(m => m.Address));
        Assert.Contains("bob@kmsconsole.local", mail.To.Mailboxes.Select(m => m.Address));
    }

    [Fact]
    public async Task A_permission_grant_request_is_announced_to_the_approvers_never_to_the_admin_who_asked()
    {
        await using var smtp = SmtpReceiver.Start();
        await using var http = await HttpReceiver.StartAsync();
        var settings = NotificationTests.Channels(smtp, http, only: "hooks");
        // The local target signs as the workshop's role, so a policy can be granted to it.
        settings["Console:LocalTargetAccessKeyId"] = KmsConsole.LocalKms.Iam.IamSeed.RoleName;
        await using var console = await ApiConsole.StartAsync(settings);

        var grant = await console.Get<PolicyGrants>().RequestAsync(ApiConsole.Demo("adam"),
            new PolicyGrantRequest("local", [WorkflowKind.AliasSwapNewKey], PolicyScope.Account), "the workshop's IAM step");

        var mail = await smtp.WaitForAsync(m => m.Subject?.StartsWith("[KmsConsole] Permission grant waiting", StringComparison.Ordinal) == true);
        Assert.Equal(["alice@kmsconsole.local", "bob@kmsconsole.local"], mail.To.Mailboxes.Select(m => m.Address).Order());
        Assert.Contains(grant.RoleArn, mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("https://kms.example.test/permissions", mail.TextBody, StringComparison.Ordinal);
        var hook = await http.WaitForAsync("/hooks", r => r.Body.Contains("permission-grant-waiting", StringComparison.Ordinal));
        Assert.Equal("adam", JsonDocument.Parse(hook.Body).RootElement.GetProperty("data").GetProperty("requestedBy").GetString());
        // The policy document itself stays in the console.
        Assert.DoesNotContain("\"Statement\"", hook.Body, StringComparison.Ordinal);
    }

    private static async Task ImportAsync(IAmazonKeyManagementService kms, string keyId, byte[] material, DateTime validTo)
    {
        var parameters = await kms.GetParametersForImportAsync(new GetParametersForImportRequest
        {
            KeyId = keyId, WrappingAlgorithm = AlgorithmSpec.RSAES_OAEP_SHA_256, WrappingKeySpec = WrappingKeySpec.RSA_2048,
        });
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(parameters.PublicKey.ToArray(), out _);
        await kms.ImportKeyMaterialAsync(new ImportKeyMaterialRequest
        {
            KeyId = keyId,
            ImportToken = parameters.ImportToken,
            EncryptedKeyMaterial = new MemoryStream(rsa.Encrypt(material, RSAEncryptionPadding.OaepSHA256)),
            ExpirationModel = ExpirationModelType.KEY_MATERIAL_EXPIRES,
            ValidTo = validTo,
        });
    }
}
