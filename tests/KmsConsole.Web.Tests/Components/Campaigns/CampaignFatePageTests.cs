using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Web.Components.Campaigns;

namespace KmsConsole.Web.Tests.Components.Campaigns;

/// <summary>The campaign page shows the gate before the old keys' fate once for the campaign and an approver passes it there.</summary>
public sealed class CampaignFatePageTests : PageTest
{
    [Fact]
    public async Task An_approver_passes_the_old_keys_fate_once_on_the_campaign_page_the_requester_may_not_and_the_old_key_is_disabled()
    {
        using var kms = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = World.KmsEndpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var oldKey = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata;
        var campaign = await World.Get<Rotation.Governance.Campaigns>().RequestAsync(ActorOf("adam"), new CampaignRequest(ConsoleWorld.Target, ["alias/FirstCMK"],
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable }, "Replace the application key, disable the old one", 1));

        // An Admin holds the approver role, yet the campaign's requester never passes its gates.
        SignInAs("adam");
        var own = Render<CampaignsPage>(p => p.Add(x => x.Id, campaign.Id));
        own.WaitForAssertion(() => Assert.Equal("Waiting", own.Find("[data-testid='campaign-fate']").GetAttribute("data-decision")), TimeSpan.FromSeconds(10));
        var fate = own.Find("[data-testid='campaign-fate']").TextContent;
        Assert.Contains("Approval of the old key's fate, once for the campaign: old key Disable for 1 keys", fate);
        Assert.Contains("alias/FirstCMK", fate);
        own.ClickButton("Approve the old keys' fate");
        own.WaitForAssertion(() => Assert.Contains("someone else", own.Find("[data-testid='campaign-refusal']").TextContent), TimeSpan.FromSeconds(10));
        own.Dispose();

        SignInAs("alice");
        var page = Render<CampaignsPage>(p => p.Add(x => x.Id, campaign.Id));
        page.WaitForAssertion(() => Assert.True(page.HasButton("Approve")), TimeSpan.FromSeconds(10));
        page.ClickButton("Approve");

        // Released, the key's run stops at its own fate gate; the page counts it there live.
        page.WaitForAssertion(() => Assert.Contains("1 key(s) wait at the gate now", page.Find("[data-testid='campaign-fate']").TextContent), TimeSpan.FromSeconds(60));
        Assert.Equal(KeyState.Enabled, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = oldKey.KeyId })).KeyMetadata.KeyState);
        page.ClickButton("Approve the old keys' fate");

        page.WaitForAssertion(() => Assert.Equal("Finished", page.Find("[data-testid='campaign']").GetAttribute("data-state")), TimeSpan.FromSeconds(60));
        Assert.Equal("Released", page.Find("[data-testid='campaign-fate']").GetAttribute("data-decision"));
        Assert.Contains("Alice", page.Find("[data-testid='campaign-fate']").TextContent);
        Assert.False(page.HasButton("Approve the old keys' fate"));
        Assert.Equal("Succeeded", page.Find("[data-testid='campaign-key']").GetAttribute("data-state"));
        Assert.Equal(KeyState.Disabled, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = oldKey.KeyId })).KeyMetadata.KeyState);
    }
}
