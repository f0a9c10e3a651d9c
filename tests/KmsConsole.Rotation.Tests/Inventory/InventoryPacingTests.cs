using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Tests.Inventory;

/// <summary>The inventory sync against an endpoint that enforces KMS's request quotas, as AWS does.</summary>
public sealed class InventoryPacingTests
{
    private const int Keys = 300;

    [Fact]
    public async Task A_sync_of_three_hundred_keys_under_kms_request_quotas_completes_paced_so_kms_hardly_throttles_it()
    {
        await using var world = await RotationWorld.StartAsync();
        for (var i = 0; i < Keys; i++)
        {
            await world.Kms.CreateKeyAsync(new CreateKeyRequest { Description = $"bulk key {i}" });
        }

        var listed = await world.KeyCountAsync();
        world.Server.Options.Quotas.Enabled = true;
        using var retries = CallRetries.Observe();
        var result = await world.Inventory.SyncAsync(progress: null);
        world.Server.Options.Quotas.Enabled = false;

        var target = Assert.Single(result.Targets);
        Assert.Equal(listed, target.KeysRead);
        Assert.Empty(target.Unreadable);
        Assert.Equal(listed, (await world.Inventory.QueryAsync(new KeyQuery { PageSize = 1 })).TotalCount);
        // Unpaced, four calls in flight against the local endpoint outrun GetKeyRotationStatus's 1,000 a second.
        Assert.True(retries.Count < 15, $"KMS throttled the paced sync {retries.Count} times: {retries.Describe()}");
    }

    [Fact]
    public void A_targets_raised_quota_wins_over_the_configured_one_which_wins_over_the_documented_default()
    {
        var options = new KmsCallOptions { RequestsPerSecond = { ["DescribeKey"] = 500, ["GetKeyRotationStatus"] = 60 } };
        var raised = new KmsTarget { Name = "prod", RequestsPerSecond = { ["GetKeyRotationStatus"] = 90 } };
        using var pacing = new Targets.RequestPacing(options);

        Assert.Equal(90, pacing.RateOf(raised, "GetKeyRotationStatus"));
        Assert.Equal(500, pacing.RateOf(raised, "DescribeKey"));
        Assert.Equal(500, pacing.RateOf(raised, "ListAliases"));
        Assert.Equal(100, pacing.RateOf(raised, "ListKeyRotations"));
        Assert.Null(pacing.RateOf(raised, "UpdateAlias"));
        options.PaceToQuotas = false;
        Assert.Null(pacing.RateOf(raised, "DescribeKey"));
    }

    [Fact]
    public void The_consoles_pacing_follows_the_same_quota_table_as_the_local_kms()
    {
        foreach (var (operation, rate) in Targets.RequestPacing.Documented)
        {
            Assert.True(LocalKms.Quotas.RequestQuotas.Documented.TryGetValue(operation, out var enforced), $"{operation} is not in the local KMS's quota table");
            Assert.Equal((operation, enforced), (operation, rate));
        }
    }
}
