using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Safety;
using static KmsConsole.Rotation.Tests.Governance.GovernanceFixtures;

namespace KmsConsole.Rotation.Tests.Governance;

public sealed class CampaignFateTests
{
    private const string FateGate = "Approval of the old key's fate";
    private const string DeletionGate = "Approval of the old key's deletion";

    /// <summary>Turns of the driver and one orchestrator, bounded, until <paramref name="done"/> holds of the campaign.</summary>
    private static async Task<Campaign> TurnUntilAsync(RotationWorld world, Guid campaignId, Func<Campaign, bool> done)
    {
        var driver = world.Get<CampaignDriver>();
        var orchestrator = world.NewOrchestrator();
        for (var turn = 0; turn < 40; turn++)
        {
            await world.Get<RetirementWatch>().CheckDueAsync();
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
    public async Task A_destructive_fate_is_approved_once_for_the_campaign_and_a_keys_high_hazard_still_stops_its_run_at_the_fate_gate()
    {
        await using var world = await RotationWorld.StartAsync();
        var keys = new List<(string KeyId, string Alias)>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add(await world.NewAwsKeyAsync($"fate{i}"));
        }

        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, keys.Select(k => k.Alias).ToList(),
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable }, "replace the fate keys", Concurrency: 3));
        Assert.All(campaign.Keys, k => Assert.Contains(FateGate, k.Plan, StringComparison.Ordinal));
        var shown = (await world.Campaigns().GetAsync(campaign.Id))!.Fate!;
        Assert.Equal((FateGate, OldKeyFate.Disable, FateDecision.Waiting), (shown.GateName, shown.Fate, shown.Decision));
        Assert.Equal(keys.Select(k => k.Alias), shown.Keys);
        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, "release");

        // Released, every key's run goes to its fate gate and waits there: the release passed only their first gate.
        var waiting = await TurnUntilAsync(world, campaign.Id, c => c.Fate!.WaitingAtGate == 3);
        Assert.All(waiting.Keys, k => Assert.Equal(CampaignKeyState.Running, k.State));
        foreach (var k in keys)
        {
            Assert.Equal(Amazon.KeyManagementService.KeyState.Enabled, (await world.DescribeAsync(k.KeyId)).KeyState);
        }


        // One application still names the second old key by ARN after its alias moved: a high hazard for that key alone.
        await world.EncryptAsync((await world.DescribeAsync(keys[1].KeyId)).Arn, "still here");
        var self = await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Campaigns().ApproveFateAsync(RotationWorld.Dave, campaign.Id, "mine"));
        Assert.Contains("someone else", self.Message, StringComparison.Ordinal);
        await world.Campaigns().ApproveFateAsync(RotationWorld.Carol, campaign.Id, "disable the old keys");
        Assert.Equal(FateDecision.Released, (await world.Campaigns().GetAsync(campaign.Id))!.Fate!.Decision);
        var again = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Campaigns().ApproveFateAsync(RotationWorld.Bob, campaign.Id, "again"));
        Assert.Equal(RefusalKind.Conflict, again.Kind);

        var blocked = await TurnUntilAsync(world, campaign.Id, c => c.Keys.Count(k => k.State == CampaignKeyState.Succeeded) == 2);
        Assert.Equal([CampaignKeyState.Succeeded, CampaignKeyState.Running, CampaignKeyState.Succeeded], blocked.Keys.Select(k => k.State));
        Assert.Equal(1, blocked.Fate!.WaitingAtGate);
        var stopped = (await world.Runs.GetAsync(blocked.Keys[1].RunId!.Value))!;
        Assert.Equal(RunState.AwaitingApproval, stopped.State);
        Assert.Equal("used-after-alias-moved", Assert.Single(SafetyReview.Of(stopped).Unacknowledged).Id);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Enabled, (await world.DescribeAsync(keys[1].KeyId)).KeyState);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Disabled, (await world.DescribeAsync(keys[0].KeyId)).KeyState);

        await world.Get<HazardAcknowledgements>().AcknowledgeAsync(RotationWorld.Bob, stopped.Id, "the batch job moves to the alias tonight");
        var done = await world.DriveCampaignAsync(campaign.Id, TimeSpan.FromMinutes(1));

        Assert.Equal(CampaignState.Finished, done.State);
        Assert.All(done.Keys, k => Assert.Equal(CampaignKeyState.Succeeded, k.State));
        foreach (var k in keys)
        {
            Assert.Equal(Amazon.KeyManagementService.KeyState.Disabled, (await world.DescribeAsync(k.KeyId)).KeyState);
        }

        foreach (var key in done.Keys)
        {
            var run = (await world.Runs.GetAsync(key.RunId!.Value))!;
            var fateGate = run.Steps.Single(s => s.Name == FateGate).Index;
            var approval = Assert.Single(run.Approvals, a => a.GateStepIndex == fateGate);
            Assert.Equal(("carol", $"old key's fate released with campaign {campaign.Id}"), (approval.ApproverId, approval.Comment));
        }

        var audit = (await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "campaign.fate-released" }, 0, 10)).Items;
        Assert.Equal("carol", Assert.Single(audit).Actor);
    }

    [Fact]
    public async Task A_rejected_fate_rejects_each_keys_run_at_its_fate_gate_and_a_kept_old_key_has_no_fate_gate()
    {
        await using var world = await RotationWorld.StartAsync();
        var key = await world.NewAwsKeyAsync("rejectfate");
        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, [key.Alias],
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.ScheduleDeletion, PendingWindowInDays = 7 }, "replace", Concurrency: 1));
        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, "release");
        await TurnUntilAsync(world, campaign.Id, c => c.Fate!.WaitingAtGate == 1);
        var noReason = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Campaigns().RejectFateAsync(RotationWorld.Bob, campaign.Id, " "));
        Assert.Equal(RefusalKind.Invalid, noReason.Kind);

        await world.Campaigns().RejectFateAsync(RotationWorld.Bob, campaign.Id, "keep the old keys for the audit");
        var done = await world.DriveCampaignAsync(campaign.Id, TimeSpan.FromMinutes(1));

        Assert.Equal(CampaignKeyState.Cancelled, Assert.Single(done.Keys).State);
        Assert.Equal(RunState.Rejected, (await world.Runs.GetAsync(done.Keys[0].RunId!.Value))!.State);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Enabled, (await world.DescribeAsync(key.KeyId)).KeyState);

        var kept = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, [key.Alias],
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Keep }, "replace, keep the old key", Concurrency: 1));
        Assert.Null((await world.Campaigns().GetAsync(kept.Id))!.Fate);
        var none = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Campaigns().ApproveFateAsync(RotationWorld.Bob, kept.Id, "go"));
        Assert.Equal(RefusalKind.Invalid, none.Kind);
    }

    [Fact]
    public async Task A_staged_retirements_deletion_is_approved_once_for_the_campaign_after_a_watch_and_a_key_enabled_during_its_watch_is_never_deleted()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var keys = new List<(string KeyId, string Alias)>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add(await world.NewAwsKeyAsync($"retire{i}"));
        }

        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, keys.Select(k => k.Alias).ToList(),
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.StagedRetirement, PendingWindowInDays = 7 }, "retire the old keys in stages",
            Concurrency: 3));
        var shown = (await world.Campaigns().GetAsync(campaign.Id))!;
        Assert.Equal((DeletionGate, FateDecision.Waiting, 3), (shown.Deletion!.GateName, shown.Deletion.Decision, shown.Deletion.Keys.Count));
        Assert.Equal(CampaignGate.Fate, shown.Fate!.Gate);
        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, "release");
        await TurnUntilAsync(world, campaign.Id, c => c.Fate!.WaitingAtGate == 3);
        await world.Campaigns().ApproveFateAsync(RotationWorld.Carol, campaign.Id, "disable and watch them");
        var watching = await TurnUntilAsync(world, campaign.Id, c => c.Fate!.WaitingAtGate == 0);
        Assert.Equal(0, watching.Deletion!.WaitingAtGate);
        foreach (var k in keys)
        {
            Assert.Equal(Amazon.KeyManagementService.KeyState.Disabled, (await world.DescribeAsync(k.KeyId)).KeyState);
        }

        // No key has been watched yet: the deletion is not decided blind.
        var early = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Campaigns().ApproveGateAsync(RotationWorld.Carol, campaign.Id, CampaignGate.Deletion, "go"));
        Assert.Contains("No key's watch is over yet", early.Message, StringComparison.Ordinal);

        // The third old key is still needed: its team enables it again during the watch.
        clock.Advance(TimeSpan.FromDays(3));
        world.Server.Clock.Advance(TimeSpan.FromDays(3));
        await world.Kms.EnableKeyAsync(new Amazon.KeyManagementService.Model.EnableKeyRequest { KeyId = keys[2].KeyId });
        var days = world.Options.Safety.RetirementWatchDays - 3;
        clock.Advance(TimeSpan.FromDays(days));
        world.Server.Clock.Advance(TimeSpan.FromDays(days));
        var atDeletion = await TurnUntilAsync(world, campaign.Id, c => c.Deletion!.WaitingAtGate == 2 && c.Keys[2].State == CampaignKeyState.Failed);
        Assert.Contains("enabled again during its watch", atDeletion.Keys[2].Outcome, StringComparison.Ordinal);

        var self = await Assert.ThrowsAsync<RotationAuthorizationException>(() => world.Campaigns().ApproveGateAsync(RotationWorld.Dave, campaign.Id, CampaignGate.Deletion, "mine"));
        Assert.Contains("someone else", self.Message, StringComparison.Ordinal);
        await world.Campaigns().ApproveGateAsync(RotationWorld.Carol, campaign.Id, CampaignGate.Deletion, "watched two weeks, unused");
        Assert.Equal(FateDecision.Released, (await world.Campaigns().GetAsync(campaign.Id))!.Deletion!.Decision);
        Assert.Equal(FateDecision.Released, (await world.Campaigns().GetAsync(campaign.Id))!.Fate!.Decision);

        var done = await TurnUntilAsync(world, campaign.Id, c => c.State == CampaignState.Finished);
        Assert.Equal([CampaignKeyState.Succeeded, CampaignKeyState.Succeeded, CampaignKeyState.Failed], done.Keys.Select(k => k.State));
        Assert.Equal(Amazon.KeyManagementService.KeyState.PendingDeletion, (await world.DescribeAsync(keys[0].KeyId)).KeyState);
        Assert.Equal(Amazon.KeyManagementService.KeyState.PendingDeletion, (await world.DescribeAsync(keys[1].KeyId)).KeyState);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Enabled, (await world.DescribeAsync(keys[2].KeyId)).KeyState);
        foreach (var key in done.Keys.Take(2))
        {
            var run = (await world.Runs.GetAsync(key.RunId!.Value))!;
            var gate = run.Steps.Single(s => s.Name == DeletionGate).Index;
            var approval = Assert.Single(run.Approvals, a => a.GateStepIndex == gate);
            Assert.Equal(("carol", $"old key's deletion released with campaign {campaign.Id}"), (approval.ApproverId, approval.Comment));
        }

        var released = Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "campaign.deletion-released" }, 0, 10)).Items);
        Assert.Equal("carol", released.Actor);
        var over = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Campaigns().RejectGateAsync(RotationWorld.Bob, campaign.Id, CampaignGate.Deletion, "late"));
        Assert.Contains("Finished", over.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_deletion_leaves_the_watched_old_keys_disabled_and_a_campaign_without_staged_retirement_has_no_deletion_gate()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var key = await world.NewAwsKeyAsync("keepdisabled");
        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, [key.Alias],
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.StagedRetirement, PendingWindowInDays = 7 }, "retire", Concurrency: 1));
        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, "release");
        await TurnUntilAsync(world, campaign.Id, c => c.Fate!.WaitingAtGate == 1);
        await world.Campaigns().ApproveFateAsync(RotationWorld.Bob, campaign.Id, "disable it");
        await TurnUntilAsync(world, campaign.Id, c => c.Fate!.WaitingAtGate == 0);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Disabled, (await world.DescribeAsync(key.KeyId)).KeyState);
        clock.Advance(TimeSpan.FromDays(world.Options.Safety.RetirementWatchDays));
        world.Server.Clock.Advance(TimeSpan.FromDays(world.Options.Safety.RetirementWatchDays));
        await TurnUntilAsync(world, campaign.Id, c => c.Deletion!.WaitingAtGate == 1);
        var noReason = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Campaigns().RejectGateAsync(RotationWorld.Bob, campaign.Id, CampaignGate.Deletion, ""));
        Assert.Equal((RefusalKind.Invalid, "comment"), (noReason.Kind, noReason.Field));

        await world.Campaigns().RejectGateAsync(RotationWorld.Bob, campaign.Id, CampaignGate.Deletion, "keep it disabled until the audit closes");
        var done = await TurnUntilAsync(world, campaign.Id, c => c.State == CampaignState.Finished);

        Assert.Equal(CampaignKeyState.Cancelled, Assert.Single(done.Keys).State);
        var run = (await world.Runs.GetAsync(done.Keys[0].RunId!.Value))!;
        Assert.Equal(RunState.Rejected, run.State);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Disabled, (await world.DescribeAsync(key.KeyId)).KeyState);
        Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "campaign.deletion-rejected" }, 0, 10)).Items);

        var disable = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, [key.Alias],
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable }, "replace", Concurrency: 1));
        Assert.Null((await world.Campaigns().GetAsync(disable.Id))!.Deletion);
        var none = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Campaigns().ApproveGateAsync(RotationWorld.Bob, disable.Id, CampaignGate.Deletion, "go"));
        Assert.Equal(RefusalKind.Invalid, none.Kind);
    }
}
