using KmsConsole.Rotation.Governance;
using KmsConsole.Testing;
using static KmsConsole.Rotation.Tests.Governance.GovernanceFixtures;

namespace KmsConsole.Rotation.Tests.Governance;

public sealed class ScheduleTests
{
    [Fact]
    public async Task A_scheduled_policy_opens_one_campaign_per_period_across_two_instances_requested_by_the_policy_and_waiting_for_approval()
    {
        await using var world = await RotationWorld.StartAsync();
        var policy = await world.ActivateAsync(Kms4() with { Schedule = new PolicySchedule { Cron = "0 * * * *", TimeZone = "Europe/Berlin", Concurrency = 3 } });
        await world.Inventory.SyncAsync(null);
        // Two console instances on one database, each with its own schedule pass.
        var instances = new[] { new PolicySchedules(world.Get<KmsConsole.Rotation.Persistence.RotationStore>(), world.Campaigns()),
            new PolicySchedules(world.Get<KmsConsole.Rotation.Persistence.RotationStore>(), world.Campaigns()) };
        var clock = (ShiftableClock)world.Time;

        // Before the first occurrence after the policy's approval: nothing (a policy never catches up on its past).
        Assert.Equal(0, (await Task.WhenAll(instances.Select(i => i.OpenDueAsync(CancellationToken.None)))).Sum());
        clock.Advance(TimeSpan.FromHours(1));
        var opened = await Task.WhenAll(instances.Select(i => i.OpenDueAsync(CancellationToken.None)).Concat(instances.Select(i => i.OpenDueAsync(CancellationToken.None))));

        Assert.Equal(1, opened.Sum());
        var campaign = Assert.Single(await world.Campaigns().ListAsync());
        Assert.Equal(($"policy:{policy.PolicyId}", CampaignState.AwaitingApproval, 3), (campaign.RequestedBy, campaign.State, campaign.Concurrency));
        Assert.Contains("Policy KMS.4 (owner Bob Approver)", campaign.RequestedByName);
        Assert.Contains(campaign.Keys, k => k.Alias == "alias/FirstCMK");
        var requested = Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "campaign.requested" }, 0, 10)).Items);
        Assert.Contains("requested by policy KMS.4 (v1) (owner Bob Approver), waiting for human approval", requested.Details);
        Assert.Equal($"policy:{policy.PolicyId}", requested.Actor);

        // No schedule approves anything: the driver leaves it alone until a person approves it.
        Assert.Equal(0, await world.Get<CampaignDriver>().AdvanceAsync(CancellationToken.None));
        // Berlin's hours start when UTC's do: a minute before the next hour is still this period, a minute after is the next.
        var now = clock.GetUtcNow();
        var nextHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1);
        clock.Advance(nextHour - now - TimeSpan.FromMinutes(1));
        Assert.Equal(0, (await Task.WhenAll(instances.Select(i => i.OpenDueAsync(CancellationToken.None)))).Sum());
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, (await Task.WhenAll(instances.Select(i => i.OpenDueAsync(CancellationToken.None)))).Sum());
        Assert.Equal(2, (await world.Campaigns().ListAsync()).Count);
    }

    [SkippableFact]
    public async Task Two_console_instances_on_one_PostgreSQL_database_open_each_scheduled_campaign_once()
    {
        await using var cluster = await TemporaryPostgres.StartAsync();
        var database = new DatabaseOptions { Provider = DatabaseOptions.Postgres, ConnectionString = cluster.ConnectionString };
        var clockA = new ShiftableClock();
        var clockB = new ShiftableClock();
        await using var a = await RotationWorld.StartAsync(clockA, database: database);
        // The second instance reads the same KMS target as the first (one account, two console processes).
        await using var b = await RotationWorld.StartAsync(clockB, database: database, configure: o => o.Targets[0].ServiceUrl = a.Server.Endpoint.ToString());
        var policy = await a.ActivateAsync(Kms4() with { Schedule = new PolicySchedule { Cron = "*/5 * * * *" } });
        await a.Inventory.SyncAsync(null);
        clockA.Advance(TimeSpan.FromMinutes(5));
        clockB.Advance(TimeSpan.FromMinutes(5));

        var opened = await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(_ => new[] { a.Get<PolicySchedules>(), b.Get<PolicySchedules>() })
            .Select(s => s.OpenDueAsync(CancellationToken.None)));

        Assert.Equal(1, opened.Sum());
        var campaign = Assert.Single(await b.Campaigns().ListAsync());
        Assert.Equal(($"policy:{policy.PolicyId}", CampaignState.AwaitingApproval), (campaign.RequestedBy, campaign.State));
        Assert.True((await a.Audit.VerifyAsync(RotationWorld.Erin)).Intact);
    }

    [Fact]
    public async Task A_schedule_with_a_cron_expression_that_does_not_parse_or_an_unknown_time_zone_is_refused()
    {
        await using var world = await RotationWorld.StartAsync();

        var cron = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().ProposeAsync(Ada, Kms4() with { Schedule = new PolicySchedule { Cron = "every day" } }));
        var zone = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().ProposeAsync(Ada, Kms4() with { Schedule = new PolicySchedule { Cron = "0 6 * * *", TimeZone = "Mars/Olympus" } }));
        var both = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Policies().ProposeAsync(Ada, Kms4() with { Schedule = new PolicySchedule { Cron = "0 6 * * *", LeadTimeDays = 30 } }));

        // Each problem names the schedule's field at fault, so a form shows it there.
        Assert.Equal([("Schedule.Cron", RefusalKind.Invalid), ("Schedule.TimeZone", RefusalKind.Invalid), ("Schedule.Cron", RefusalKind.Invalid)],
            new[] { cron, zone, both }.Select(e => (e.Field, e.Kind)));
        Assert.Contains("is not a cron expression", cron.Message);
        Assert.Contains("'Mars/Olympus' is not a time zone", zone.Message);
        Assert.Empty(await world.Policies().ListAsync());
    }
}
