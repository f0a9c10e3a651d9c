using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Safety;
using static KmsConsole.Rotation.Tests.Governance.GovernanceFixtures;

namespace KmsConsole.Rotation.Tests.Safety;

/// <summary>A W2/W3 campaign runs the single request's hazard check per key: in each key's frozen plan, and at the campaign's fate gate.</summary>
public sealed class CampaignHazardTests
{
    private static async Task<Campaign> TurnUntilAsync(RotationWorld world, Guid campaignId, Func<Campaign, bool> done)
    {
        var driver = world.Get<CampaignDriver>();
        var orchestrator = world.NewOrchestrator();
        for (var turn = 0; turn < 40; turn++)
        {
            await driver.AdvanceAsync(CancellationToken.None);
            await orchestrator.DrainAsync(CancellationToken.None);
            var campaign = (await world.Campaigns().GetAsync(campaignId))!;
            if (done(campaign))
            {
                return campaign;
            }
        }

        throw new TimeoutException($"Campaign {campaignId} did not reach the expected point within 40 turns.");
    }

    [Fact]
    public async Task Each_keys_plan_shows_its_own_hazards_with_their_evidence()
    {
        await using var world = await RotationWorld.StartAsync();
        var granted = await world.NewAwsKeyAsync("granted");
        var plain = await world.NewAwsKeyAsync("plain");
        await world.Kms.CreateGrantAsync(new CreateGrantRequest
        {
            KeyId = granted.KeyId, GranteePrincipal = "arn:aws:iam::111122223333:role/Billing", Operations = [Amazon.KeyManagementService.GrantOperation.Decrypt],
        });

        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, [granted.Alias, plain.Alias],
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable }, "replace both"));

        var plans = campaign.Keys.Select(k => k.Plan).ToList();
        Assert.Contains($"[Warning] A grant on {granted.KeyId} lets arn:aws:iam::111122223333:role/Billing call Decrypt", plans[0], StringComparison.Ordinal);
        Assert.Contains($"Evidence: ListGrants of {granted.KeyId}", plans[0], StringComparison.Ordinal);
        Assert.DoesNotContain("A grant on", plans[1], StringComparison.Ordinal);
        Assert.All(plans, p => Assert.Contains("; hazards", p, StringComparison.Ordinal));
        // What the approver reads is what a single request for the key previews.
        var single = await world.Requests.PreflightAsync(new RotationRequest(RotationWorld.Target, granted.Alias, WorkflowKind.AliasSwapNewKey,
            new RotationParameters { OldKeyFate = OldKeyFate.Disable }, "one key"));
        Assert.EndsWith(CampaignHazards.PlanLine(single.Hazards), plans[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_campaigns_fate_gate_lists_each_keys_high_hazards_until_an_approver_acknowledges_them()
    {
        await using var world = await RotationWorld.StartAsync();
        var first = await world.NewAwsKeyAsync("quiet");
        var second = await world.NewAwsKeyAsync("byarn");
        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, [first.Alias, second.Alias],
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable }, "replace both", Concurrency: 2));
        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, "release");
        var atGate = await TurnUntilAsync(world, campaign.Id, c => c.Fate!.WaitingAtGate == 2);
        Assert.Empty(atGate.Fate!.HighHazards);

        // An application still calls the second old key by its ARN after its alias moved.
        await world.EncryptAsync((await world.DescribeAsync(second.KeyId)).Arn, "still by ARN");
        await world.Campaigns().ApproveFateAsync(RotationWorld.Carol, campaign.Id, "disable the old keys");
        var blocked = await TurnUntilAsync(world, campaign.Id, c => c.Keys[0].State == CampaignKeyState.Succeeded && c.Fate!.HighHazards.Count == 1);

        var listed = Assert.Single(blocked.Fate!.HighHazards);
        Assert.Equal((second.Alias, blocked.Keys[1].RunId!.Value), (listed.Key, listed.RunId));
        var hazard = Assert.Single(listed.Unacknowledged);
        Assert.Equal("used-after-alias-moved", hazard.Id);
        Assert.Contains($"GetKeyLastUsage of {second.KeyId}: Encrypt at ", hazard.Evidence, StringComparison.Ordinal);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Enabled, (await world.DescribeAsync(second.KeyId)).KeyState);
        var acknowledgements = world.Get<HazardAcknowledgements>();
        Assert.False(acknowledgements.MayAcknowledge(RotationWorld.Dave, campaign.Workflow, campaign.RequestedBy));
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => acknowledgements.AcknowledgeAsync(RotationWorld.Dave, listed.RunId, "mine"));
        Assert.True(acknowledgements.MayAcknowledge(RotationWorld.Bob, campaign.Workflow, campaign.RequestedBy));

        await acknowledgements.AcknowledgeAsync(RotationWorld.Bob, listed.RunId, "the report job moves to the alias tonight");
        var done = await world.DriveCampaignAsync(campaign.Id, TimeSpan.FromMinutes(1));

        Assert.All(done.Keys, k => Assert.Equal(CampaignKeyState.Succeeded, k.State));
        Assert.Equal(Amazon.KeyManagementService.KeyState.Disabled, (await world.DescribeAsync(second.KeyId)).KeyState);
        var audit = Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "hazards.acknowledged" }, 0, 10)).Items);
        Assert.Equal("bob", audit.Actor);
    }
}
