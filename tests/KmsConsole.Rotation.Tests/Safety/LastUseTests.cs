using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Changes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Tests.Safety;

public sealed class LastUseTests
{
    [Fact]
    public async Task The_key_list_shows_each_keys_last_use_and_filters_keys_unused_for_N_days()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var (used, usedAlias) = await world.NewAwsKeyAsync("used");
        var (idle, _) = await world.NewAwsKeyAsync("idle");
        await world.EncryptAsync(usedAlias, "payroll");

        await world.Inventory.SyncAsync(null);
        Assert.Null((await world.Inventory.QueryAsync(new KeyQuery { Search = used })).Items.Single().LastUseReadAt);
        while (await world.Inventory.ReadDueLastUsesAsync(KeyLastUseReader.Batch, CancellationToken.None) > 0)
        {
        }

        var usedRow = (await world.Inventory.QueryAsync(new KeyQuery { Search = used })).Items.Single();
        Assert.Equal("Encrypt", usedRow.LastUsedOperation);
        Assert.True(usedRow.LastUsedAt > clock.GetUtcNow().AddMinutes(-5), $"last used {usedRow.LastUsedAt}");
        Assert.StartsWith("Encrypt at ", usedRow.LastUse.Describe());
        var idleRow = (await world.Inventory.QueryAsync(new KeyQuery { Search = idle })).Items.Single();
        Assert.Null(idleRow.LastUsedAt);
        Assert.NotNull(idleRow.UsageTrackingStartDate);
        Assert.StartsWith("not used since tracking began ", idleRow.LastUse.Describe());
        Assert.False(idleRow.LastUse.UnknownBeforeTracking);

        // Nothing is unused for 30 days yet: the idle key was created (and tracked) minutes ago.
        Assert.DoesNotContain((await world.Inventory.QueryAsync(new KeyQuery { UnusedForDays = 30, PageSize = 500 })).Items, k => k.KeyId == idle || k.KeyId == used);

        clock.Advance(TimeSpan.FromDays(31));
        var unused = (await world.Inventory.QueryAsync(new KeyQuery { UnusedForDays = 30, PageSize = 500 })).Items.Select(k => k.KeyId).ToList();
        Assert.Contains(idle, unused);
        Assert.Contains(used, unused);
        Assert.DoesNotContain(used, (await world.Inventory.QueryAsync(new KeyQuery { UnusedForDays = 60, PageSize = 500 })).Items.Select(k => k.KeyId));
    }

    [Fact]
    public async Task The_sync_leaves_last_use_to_its_own_paced_reader_which_reads_the_oldest_first_and_a_later_sync_keeps_what_it_read()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock);
        var keys = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add((await world.NewAwsKeyAsync($"lu{i}")).KeyId);
        }

        var before = await world.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = keys[0] });
        await world.Inventory.SyncAsync(null);
        var total = (await world.Inventory.QueryAsync(new KeyQuery { PageSize = 500 })).TotalCount;
        Assert.All((await world.Inventory.QueryAsync(new KeyQuery { PageSize = 500 })).Items, k => Assert.Null(k.LastUseReadAt));

        // Two at a time, never-read keys first; then nothing is due until LastUseMaxAge has passed.
        Assert.Equal(2, await world.Inventory.ReadDueLastUsesAsync(2, CancellationToken.None));
        Assert.Equal(2, (await world.Inventory.QueryAsync(new KeyQuery { PageSize = 500 })).Items.Count(k => k.LastUseReadAt is not null));
        var rest = 0;
        while (await world.Inventory.ReadDueLastUsesAsync(50, CancellationToken.None) is > 0 and var n)
        {
            rest += n;
        }

        Assert.Equal(total - 2, rest);
        await world.EncryptAsync((await world.DescribeAsync(keys[0])).Arn, "nightly");
        clock.Advance(TimeSpan.FromHours(1));
        await world.Inventory.SyncAsync(null);
        var kept = (await world.Inventory.QueryAsync(new KeyQuery { Search = keys[0] })).Items.Single();
        Assert.NotNull(kept.LastUseReadAt);
        Assert.Null(kept.LastUsedAt); // read before the Encrypt, kept by the sync, not read again yet
        Assert.Equal(before.KeyLastUsage?.Timestamp, kept.LastUsedAt?.UtcDateTime);
        Assert.Equal(0, await world.Inventory.ReadDueLastUsesAsync(50, CancellationToken.None));

        clock.Advance(world.Options.Orchestrator.LastUseMaxAge);
        Assert.Equal(total, await world.Inventory.ReadDueLastUsesAsync(500, CancellationToken.None));
        Assert.Equal("Encrypt", (await world.Inventory.QueryAsync(new KeyQuery { Search = keys[0] })).Items.Single().LastUsedOperation);
    }

    [Fact]
    public async Task The_background_reader_fills_in_every_keys_last_use_reads_it_again_once_due_and_stops_when_asked()
    {
        var clock = new ShiftableClock();
        await using var world = await RotationWorld.StartAsync(clock, o => o.Orchestrator.PollInterval = TimeSpan.FromMilliseconds(100));
        var (key, alias) = await world.NewAwsKeyAsync("background");
        await world.Inventory.SyncAsync(null);
        var inventoryChanges = 0;
        using var followed = world.Get<IChangeFeed>().Subscribe(change =>
        {
            if (change.Kind == ChangeKind.Inventory)
            {
                Interlocked.Increment(ref inventoryChanges);
            }
        });
        using var reader = new KeyLastUseReader(world.Inventory, world.Get<IOptions<RotationOptions>>(), clock, NullLogger<KeyLastUseReader>.Instance);
        async Task<KeySnapshot> Row() => (await world.Inventory.QueryAsync(new KeyQuery { Search = key })).Items.Single();

        await reader.StartAsync(CancellationToken.None);
        try
        {
            // Nobody calls it: the reader's own loop reads every key, and each saved batch reaches the Keys page's feed.
            await Until(async () => (await world.Inventory.QueryAsync(new KeyQuery { PageSize = 500 })).Items.All(k => k.LastUseReadAt is not null));
            Assert.True(Volatile.Read(ref inventoryChanges) > 0);
            var firstRead = (await Row()).LastUseReadAt;
            Assert.Null((await Row()).LastUsedAt);

            // Used since, and the read is now older than LastUseMaxAge: the loop, idle meanwhile, reads it again.
            await world.EncryptAsync(alias, "after the first read");
            clock.Advance(world.Options.Orchestrator.LastUseMaxAge + TimeSpan.FromMinutes(1));
            await Until(async () => (await Row()).LastUsedOperation == "Encrypt");
            Assert.True((await Row()).LastUseReadAt > firstRead);
        }
        finally
        {
            await reader.StopAsync(CancellationToken.None);
        }

        Assert.True(reader.ExecuteTask!.IsCompletedSuccessfully);
    }

    /// <summary>Polls until the condition holds; fails after 30 seconds (a bound, not a speed check).</summary>
    private static async Task Until(Func<Task<bool>> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !await condition(); await Task.Delay(50))
        {
            Assert.True(DateTime.UtcNow < deadline, "the background reader did not get there within 30 seconds");
        }
    }

    [Fact]
    public async Task The_key_detail_reads_last_use_live_with_the_operation_KMS_recorded()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewAwsKeyAsync("detail");
        var ciphertext = await world.EncryptAsync(alias, "ledger");
        await world.DecryptAsync(ciphertext);

        var detail = await world.Inventory.GetDetailAsync(RotationWorld.Target, keyId);

        Assert.NotNull(detail.LastUse);
        Assert.True(detail.LastUse.Readable);
        Assert.Equal("Decrypt", detail.LastUse.Operation);
        var direct = await world.Kms.GetKeyLastUsageAsync(new GetKeyLastUsageRequest { KeyId = keyId });
        Assert.Equal(direct.KeyLastUsage.Timestamp, detail.LastUse.UsedAt?.UtcDateTime);
    }

    [Fact]
    public void A_key_older_than_tracking_with_no_recorded_use_is_unknown_before_tracking_began()
    {
        var tracking = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var use = new KmsConsole.Rotation.Safety.KeyLastUse(null, null, tracking, tracking.AddYears(-3));

        Assert.True(use.UnknownBeforeTracking);
        Assert.Equal("not used since tracking began 2026-01-01 00:00:00 UTC; unknown before 2026-01-01 00:00:00 UTC", use.Describe());
        var refused = new KmsConsole.Rotation.Safety.KeyLastUse(null, null, null, null, "AccessDeniedException", "User is not authorized to perform: kms:GetKeyLastUsage");
        Assert.Equal("last use unknown: GetKeyLastUsage failed with AccessDeniedException: User is not authorized to perform: kms:GetKeyLastUsage", refused.Describe());
    }
}
