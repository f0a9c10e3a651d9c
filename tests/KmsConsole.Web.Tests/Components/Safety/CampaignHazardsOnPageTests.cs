using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Governance;
using KmsConsole.Web.Components.Campaigns;

namespace KmsConsole.Web.Tests.Components.Safety;

/// <summary>A campaign's fate gate on its page: each key's high hazards with their evidence, acknowledged per key by an approver.</summary>
public sealed class CampaignHazardsOnPageTests : PageTest
{
    [Fact]
    public async Task An_approver_sees_a_keys_high_hazard_at_the_campaigns_fate_gate_acknowledges_it_there_and_the_campaign_finishes()
    {
        var campaigns = World.Get<KmsConsole.Rotation.Governance.Campaigns>();
        using var kms = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = World.KmsEndpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var oldKey = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata;
        var campaign = await campaigns.RequestAsync(ActorOf("rita"), new CampaignRequest(ConsoleWorld.Target, ["alias/FirstCMK"], WorkflowKind.AliasSwapNewKey,
            new RotationParameters { OldKeyFate = OldKeyFate.Disable }, "replace the workshop key"));
        Assert.Contains("; hazards", Assert.Single(campaign.Keys).Plan, StringComparison.Ordinal);
        await campaigns.ApproveAsync(ActorOf("alice"), campaign.Id, "release");
        await WaitForAsync(campaign.Id, c => c.Fate!.WaitingAtGate == 1);
        await kms.EncryptAsync(new EncryptRequest { KeyId = oldKey.Arn, Plaintext = new MemoryStream([1, 2, 3]) });
        await campaigns.ApproveFateAsync(ActorOf("alice"), campaign.Id, "disable the old key");
        await WaitForAsync(campaign.Id, c => c.Fate!.HighHazards.Count == 1);

        SignInAs("rita");
        var asRequester = Render<CampaignsPage>(p => p.Add(x => x.Id, campaign.Id));
        asRequester.WaitForAssertion(() => Assert.NotEmpty(asRequester.FindAll("[data-testid='campaign-key-hazards']")), TimeSpan.FromSeconds(10));
        Assert.False(asRequester.HasButton("Acknowledge for alias/FirstCMK"));
        asRequester.Dispose();

        SignInAs("bob");
        var page = Render<CampaignsPage>(p => p.Add(x => x.Id, campaign.Id));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid='campaign-key-hazards'][data-key='alias/FirstCMK']")), TimeSpan.FromSeconds(10));
        var hazard = page.Find("[data-testid='campaign-key-hazards'] [data-hazard='used-after-alias-moved']").TextContent;
        Assert.Contains($"{oldKey.KeyId} was used after alias/FirstCMK moved", hazard, StringComparison.Ordinal);
        Assert.Contains($"Evidence: GetKeyLastUsage of {oldKey.KeyId}: Encrypt at ", hazard, StringComparison.Ordinal);

        page.ClickButton("Acknowledge for alias/FirstCMK");
        page.WaitForAssertion(() => Assert.Contains("Say why before acknowledging", page.Markup, StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        page.ChangeField("acknowledge-comment", "the batch job moves to the alias tonight");
        page.ClickButton("Acknowledge for alias/FirstCMK");

        var done = await WaitForAsync(campaign.Id, c => c.IsOver);
        Assert.Equal(CampaignKeyState.Succeeded, Assert.Single(done.Keys).State);
        Assert.Equal(KeyState.Disabled, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = oldKey.KeyId })).KeyMetadata.KeyState);
        Assert.Empty(done.Fate!.HighHazards);
    }

    /// <summary>Waits (bounded) until the driver and the orchestrator bring the campaign where <paramref name="reached"/> says.</summary>
    private async Task<Campaign> WaitForAsync(Guid campaignId, Func<Campaign, bool> reached)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            var campaign = (await World.Get<KmsConsole.Rotation.Governance.Campaigns>().GetAsync(campaignId))!;
            if (reached(campaign))
            {
                return campaign;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Campaign {campaignId} did not get there within 90 seconds.");
    }
}
