using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Runs;
using static KmsConsole.Rotation.Tests.Governance.GovernanceFixtures;

namespace KmsConsole.Rotation.Tests.Governance;

public sealed class CampaignTests
{
    [Fact]
    public async Task A_campaign_of_200_keys_under_30_percent_throttling_completes_with_every_key_compliant()
    {
        await using var world = await RotationWorld.StartAsync(configure: o =>
        {
            // Keys started and runs run several at once, as the console's default does.
            o.Orchestrator.RunConcurrency = 8;
            o.Orchestrator.MaxAttempts = 12;
            o.Kms.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
            o.Kms.RetryMaxDelay = TimeSpan.FromMilliseconds(100);
        });
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async worker =>
        {
            for (var i = 0; i < 50; i++)
            {
                var key = await world.Kms.CreateKeyAsync(new CreateKeyRequest { Description = $"fleet {worker}-{i}" });
                await world.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = $"alias/fleet-{worker}-{i:D2}", TargetKeyId = key.KeyMetadata.KeyId });
            }
        }));
        var policy = await world.ActivateAsync(Kms4(scope: new PolicyScope { AliasPrefix = "alias/fleet-" }));
        await world.Inventory.SyncAsync(null);
        var broken = await world.AnswersAsync(policy.PolicyId, ComplianceStatus.NonCompliant);
        Assert.Equal(200, broken.Count);

        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Alice, new CampaignRequest(RotationWorld.Target, broken.Select(a => a.KeyId).ToList(),
            WorkflowKind.EnableAutomaticRotation, policy.Rule.RemedyParameters, "KMS.4 remediation", Concurrency: 20, PolicyId: policy.PolicyId));
        Assert.Equal(200, campaign.Keys.Count(k => k.State == CampaignKeyState.Waiting));
        Assert.All(campaign.Keys, k => Assert.StartsWith("Approval → Enable automatic rotation", k.Plan, StringComparison.Ordinal));
        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, "go");

        world.Server.Faults.ThrottlingShare = 0.3;
        var done = await world.DriveCampaignAsync(campaign.Id, TimeSpan.FromMinutes(6));
        world.Server.Faults.ThrottlingShare = 0;

        Assert.Equal(CampaignState.Finished, done.State);
        Assert.All(done.Keys, k => Assert.True(k.State == CampaignKeyState.Succeeded, $"{k.Alias}: {k.State} {k.Outcome}"));
        await world.Inventory.SyncAsync(null);
        var fleet = (await world.AnswersAsync(policy.PolicyId)).Where(a => a.Aliases.StartsWith("alias/fleet-", StringComparison.Ordinal)).ToList();
        Assert.Equal(200, fleet.Count);
        Assert.All(fleet, a => Assert.Equal(ComplianceStatus.Compliant, a.Status));
        var runs = (await world.Runs.ListAsync(new RunFilter(), 0, 500)).Items;
        Assert.Equal(200, runs.Count(r => r.State == RunState.Succeeded && r.RequestedBy == "alice"));
    }

    [Fact]
    public async Task One_approval_by_someone_else_releases_the_campaign_and_one_keys_failure_never_stops_the_others_whose_failed_keys_retry_as_a_follow_up()
    {
        await using var world = await RotationWorld.StartAsync();
        var keys = new List<(string KeyId, string Alias)>();
        for (var i = 0; i < 4; i++)
        {
            keys.Add(await world.NewAwsKeyAsync($"c{i}"));
        }

        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, keys.Select(k => k.Alias).ToList(),
            WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotationPeriodInDays = 180 }, "rotate the c keys", Concurrency: 2));
        Assert.Equal(CampaignState.AwaitingApproval, campaign.State);
        Assert.Equal(keys.Select(k => k.KeyId), campaign.Keys.OrderBy(k => k.Index).Select(k => k.KeyId));
        var self = await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Campaigns().ApproveAsync(RotationWorld.Dave, campaign.Id, null));
        Assert.Contains("someone else", self.Message);
        await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Campaigns().ApproveAsync(RotationWorld.Victor, campaign.Id, null));
        await world.NewOrchestrator().DrainAsync(CancellationToken.None);
        Assert.Equal(0, await world.Get<CampaignDriver>().AdvanceAsync(CancellationToken.None));
        Assert.Empty((await world.Runs.ListAsync(new RunFilter(), 0, 50)).Items);

        // A key that KMS will no longer rotate (its deletion scheduled after the campaign froze its plan).
        await world.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keys[1].KeyId, PendingWindowInDays = 7 });
        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, "approved once for all four");
        var done = await world.DriveCampaignAsync(campaign.Id, TimeSpan.FromMinutes(2));

        Assert.Equal(CampaignState.Finished, done.State);
        Assert.Equal([CampaignKeyState.Succeeded, CampaignKeyState.Failed, CampaignKeyState.Succeeded, CampaignKeyState.Succeeded],
            done.Keys.OrderBy(k => k.Index).Select(k => k.State));
        Assert.StartsWith("Could not start: ", done.Keys.Single(k => k.Index == 1).Outcome);
        foreach (var (keyId, _) in new[] { keys[0], keys[2], keys[3] })
        {
            Assert.True((await world.Kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);
        }

        var audit = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Subject = $"campaign/{campaign.Id}" }, 0, 50)).Items;
        Assert.Equal(["campaign.requested", "campaign.approved", "campaign.released", "campaign.finished"], audit.OrderBy(e => e.Sequence).Select(e => e.Action));
        var runApprovals = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "run.approved" }, 0, 50)).Items;
        Assert.Equal(3, runApprovals.Count);
        Assert.All(runApprovals, e => Assert.Equal("bob", e.Actor));

        await world.Kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = keys[1].KeyId });
        await world.Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keys[1].KeyId });
        var retry = await world.Campaigns().RetryFailedAsync(RotationWorld.Dave, campaign.Id, "the key is back");
        Assert.Equal((campaign.Id, keys[1].KeyId), (retry.FollowUpOf, Assert.Single(retry.Keys).KeyId));
        await world.Campaigns().ApproveAsync(RotationWorld.Carol, retry.Id, null);
        Assert.Equal(CampaignKeyState.Succeeded, Assert.Single((await world.DriveCampaignAsync(retry.Id, TimeSpan.FromMinutes(1))).Keys).State);
    }

    [Fact]
    public async Task A_paused_campaign_starts_no_key_until_resumed_and_a_cancelled_one_never_starts_the_rest()
    {
        await using var world = await RotationWorld.StartAsync(configure: o => o.Approvals[WorkflowKind.EnableAutomaticRotation] = new ApprovalPolicy { RequiredApprovals = 2 });
        var keys = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add((await world.NewAwsKeyAsync($"p{i}")).Alias);
        }

        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Alice, new CampaignRequest(RotationWorld.Target, keys,
            WorkflowKind.EnableAutomaticRotation, new RotationParameters(), "paced", Concurrency: 1));
        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, null);
        Assert.Equal(CampaignState.AwaitingApproval, (await world.Campaigns().GetAsync(campaign.Id))!.State); // 1 of 2
        await world.Campaigns().ApproveAsync(RotationWorld.Carol, campaign.Id, null);
        await world.Campaigns().PauseAsync(RotationWorld.Alice, campaign.Id);

        await world.Get<CampaignDriver>().AdvanceAsync(CancellationToken.None);
        Assert.All((await world.Campaigns().GetAsync(campaign.Id))!.Keys, k => Assert.Equal(CampaignKeyState.Waiting, k.State));

        await world.Campaigns().ResumeAsync(RotationWorld.Bob, campaign.Id);
        await world.Get<CampaignDriver>().AdvanceAsync(CancellationToken.None);
        var first = (await world.Campaigns().GetAsync(campaign.Id))!;
        Assert.Equal([CampaignKeyState.Running, CampaignKeyState.Waiting, CampaignKeyState.Waiting], first.Keys.Select(k => k.State));
        var run = (await world.Runs.GetAsync(first.Keys[0].RunId!.Value))!;
        Assert.Equal(RunState.Queued, run.State); // both approvals of the campaign passed the run's gate

        await world.Campaigns().CancelAsync(RotationWorld.Alice, campaign.Id);
        var done = await world.DriveCampaignAsync(campaign.Id, TimeSpan.FromMinutes(1));
        Assert.Equal(CampaignState.Cancelled, done.State);
        Assert.Equal([CampaignKeyState.Succeeded, CampaignKeyState.Cancelled, CampaignKeyState.Cancelled], done.Keys.Select(k => k.State));
    }
}
