using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Notifications;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static KmsConsole.Rotation.Tests.Governance.GovernanceFixtures;

namespace KmsConsole.Rotation.Tests.Notifications;

/// <summary>Campaigns that end and keys found breaking a policy are written to the outbox with the change that causes them.</summary>
public sealed class GovernanceNotificationTests
{
    private static Task<RotationWorld> WorldAsync() =>
        RotationWorld.StartAsync(services: (s, _) => s.Configure<NotificationOptions>(o =>
            o.Channels.Add(new ChannelOptions { Name = "hooks", Kind = ChannelKind.Webhook, Url = "https://hooks.example.test/", Secret = ConsoleChannelTests.WebhookSecret })));

    private static async Task<List<NotificationMessage>> MessagesAsync(RotationWorld world, NotificationEvent kind)
    {
        await using var db = await world.Get<IDbContextFactory<RotationDbContext>>().CreateDbContextAsync();
        return await db.NotificationMessages.AsNoTracking().Include(m => m.Deliveries).Where(m => m.Event == kind).ToListAsync();
    }

    [Fact]
    public async Task A_campaign_that_ends_tells_its_requester_whether_it_succeeded_failed_or_was_cancelled()
    {
        await using var world = await WorldAsync();
        var keys = new List<(string KeyId, string Alias)>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add(await world.NewAwsKeyAsync($"n{i}"));
        }

        async Task<Campaign> RunAsync(IReadOnlyList<string> aliases, bool cancel = false, Func<Task>? beforeApproval = null)
        {
            var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, aliases,
                WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotationPeriodInDays = 180 }, "rotate the n keys", Concurrency: 1));
            if (beforeApproval is not null)
            {
                await beforeApproval();
            }

            await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, null);
            if (cancel)
            {
                await world.Campaigns().CancelAsync(RotationWorld.Dave, campaign.Id);
            }

            return await world.DriveCampaignAsync(campaign.Id, TimeSpan.FromMinutes(1));
        }

        var succeeded = await RunAsync([keys[0].Alias]);
        // A key KMS will no longer rotate: its deletion scheduled after the campaign froze its plan.
        var failed = await RunAsync([keys[1].Alias, keys[2].Alias], beforeApproval: () =>
            world.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keys[1].KeyId, PendingWindowInDays = 7 }));
        var cancelled = await RunAsync([keys[2].Alias], cancel: true);

        var success = Assert.Single(await MessagesAsync(world, NotificationEvent.CampaignSucceeded));
        Assert.Equal((succeeded.Id, "dave", $"/campaigns/{succeeded.Id}"), (success.CampaignId!.Value, success.RequestedBy, success.Page));
        Assert.Contains("succeeded: 1 rotated", success.Summary, StringComparison.Ordinal);
        Assert.Equal(["hooks"], success.Deliveries.Select(d => d.Channel));
        var failure = Assert.Single(await MessagesAsync(world, NotificationEvent.CampaignFailed));
        Assert.Equal(failed.Id, failure.CampaignId);
        Assert.Contains("ended with 1 failed key(s) (1 rotated)", failure.Summary, StringComparison.Ordinal);
        Assert.Equal(cancelled.Id, Assert.Single(await MessagesAsync(world, NotificationEvent.CampaignCancelled)).CampaignId);
        Assert.Equal(NotificationAudience.Requester, NotificationEvents.Of(NotificationEvent.CampaignFailed).Audience);
    }

    [Fact]
    public async Task Keys_newly_breaking_a_policy_are_told_once_per_policy_and_evaluation_not_again_while_they_stay_broken()
    {
        await using var world = await WorldAsync();
        for (var i = 0; i < 2; i++)
        {
            var key = await world.Kms.CreateKeyAsync(new CreateKeyRequest { Description = $"nc {i}" });
            await world.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = $"alias/nc-{i}", TargetKeyId = key.KeyMetadata.KeyId });
        }

        var policy = await world.ActivateAsync(Kms4(scope: new PolicyScope { AliasPrefix = "alias/nc-" }, name: "Yearly rotation"));
        await world.Inventory.SyncAsync(null);
        await world.Inventory.SyncAsync(null);

        var found = Assert.Single(await MessagesAsync(world, NotificationEvent.NonComplianceFound));
        Assert.Equal(policy.PolicyId, found.PolicyId);
        Assert.Equal(Roles.Requester, found.ApproverRole);
        Assert.StartsWith("2 key(s) of local newly break the policy 'Yearly rotation'", found.Summary, StringComparison.Ordinal);
        Assert.Equal("policy Yearly rotation", found.Key);

        // A third key breaks it later: that one alone is told.
        var third = await world.Kms.CreateKeyAsync(new CreateKeyRequest { Description = "nc 2" });
        await world.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/nc-2", TargetKeyId = third.KeyMetadata.KeyId });
        await world.Inventory.SyncAsync(null);
        var later = (await MessagesAsync(world, NotificationEvent.NonComplianceFound)).OrderBy(m => m.CreatedAt).ToList();
        Assert.Equal(2, later.Count);
        Assert.StartsWith($"1 key(s) of local newly break the policy 'Yearly rotation': {third.KeyMetadata.KeyId}.", later[1].Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_campaign_asks_its_approvers_once_when_requested_and_once_at_its_fate_gate_and_its_keys_runs_neither_ask_nor_report()
    {
        await using var world = await WorldAsync();
        var keys = new List<(string KeyId, string Alias)>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add(await world.NewAwsKeyAsync($"ask{i}"));
        }

        var campaign = await world.Campaigns().RequestAsync(RotationWorld.Dave, new CampaignRequest(RotationWorld.Target, keys.Select(k => k.Alias).ToList(),
            WorkflowKind.AliasSwapNewKey, new RotationParameters { OldKeyFate = OldKeyFate.Disable }, "replace the ask keys", Concurrency: 3));
        var asked = Assert.Single(await MessagesAsync(world, NotificationEvent.CampaignApprovalNeeded));
        Assert.Equal((campaign.Id, "dave", Roles.Approver, $"/campaigns/{campaign.Id}"), (asked.CampaignId!.Value, asked.RequestedBy, asked.ApproverRole, asked.Page));
        Assert.StartsWith("Dave Both asks for a campaign of a new key with alias swap on 3 key(s) of local: \"replace the ask keys\"", asked.Summary, StringComparison.Ordinal);
        Assert.Equal(NotificationAudience.Deciders, NotificationEvents.Of(NotificationEvent.CampaignApprovalNeeded).Audience);

        await world.Campaigns().ApproveAsync(RotationWorld.Bob, campaign.Id, "release");
        var driver = world.Get<CampaignDriver>();
        var orchestrator = world.NewOrchestrator();
        for (var turn = 0; turn < 10; turn++)
        {
            await driver.AdvanceAsync(CancellationToken.None);
            await orchestrator.DrainAsync(CancellationToken.None);
        }

        var atFate = (await MessagesAsync(world, NotificationEvent.CampaignApprovalNeeded)).OrderBy(m => m.CreatedAt).ToList();
        Assert.Equal(2, atFate.Count);
        Assert.Contains("waits at the gate before the old keys' fate (Disable)", atFate[1].Summary, StringComparison.Ordinal);
        Assert.Equal(3, (await world.Campaigns().GetAsync(campaign.Id))!.Fate!.WaitingAtGate);
        Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "campaign.fate-waiting" }, 0, 10)).Items);

        await world.Campaigns().ApproveFateAsync(RotationWorld.Carol, campaign.Id, "disable them");
        var done = await world.DriveCampaignAsync(campaign.Id, TimeSpan.FromMinutes(1));
        Assert.Equal(CampaignState.Finished, done.State);
        Assert.Equal(2, (await MessagesAsync(world, NotificationEvent.CampaignApprovalNeeded)).Count);
        Assert.Single(await MessagesAsync(world, NotificationEvent.CampaignSucceeded));
        Assert.Empty(await MessagesAsync(world, NotificationEvent.ApprovalNeeded));
        Assert.Empty(await MessagesAsync(world, NotificationEvent.RunSucceeded));
        Assert.All(done.Keys, k => Assert.NotNull(k.RunId));
        foreach (var key in done.Keys)
        {
            Assert.Equal(campaign.Id, (await world.Runs.GetAsync(key.RunId!.Value))!.CampaignId);
        }

        // A run requested alone still asks and reports for itself.
        var alone = await world.SubmitAsync(keys[0].Alias, WorkflowKind.EnableAutomaticRotation);
        Assert.Null(alone.CampaignId);
        Assert.Equal(alone.Id, Assert.Single(await MessagesAsync(world, NotificationEvent.ApprovalNeeded)).RunId);
    }
}
