using Amazon.KeyManagementService.Model;

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
