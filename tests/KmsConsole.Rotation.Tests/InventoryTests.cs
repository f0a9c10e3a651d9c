using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Tests;

public sealed class InventoryTests
{
    [Fact]
    public async Task Sync_pages_through_every_key_and_alias_and_the_list_filters_sorts_and_pages_server_side()
    {
        await using var world = await RotationWorld.StartAsync();
        var created = new List<string>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async worker =>
        {
            for (var i = 0; i < 30; i++)
            {
                var key = await world.Kms.CreateKeyAsync(new CreateKeyRequest { Description = $"bulk {worker}-{i}" });
                await world.Kms.CreateAliasAsync(new CreateAliasRequest { AliasName = $"alias/bulk-{worker:D2}-{i:D3}", TargetKeyId = key.KeyMetadata.KeyId });
                lock (created)
                {
                    created.Add(key.KeyMetadata.KeyId);
                }
            }
        }));
        await world.Kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = created[0], RotationPeriodInDays = 90 });
        var reports = new List<InventorySyncProgress>();

        await world.Inventory.SyncAsync(new SyncProgress(reports));

        Assert.Equal(122, reports.Max(r => r.Total));
        Assert.Contains(reports, r => r.Done == 122);
        var all = await world.Inventory.QueryAsync(new KeyQuery { PageSize = 50 });
        Assert.Equal(122, all.TotalCount);
        Assert.Equal(50, all.Items.Count);
        var lastPage = await world.Inventory.QueryAsync(new KeyQuery { Page = 2, PageSize = 50 });
        Assert.Equal(22, lastPage.Items.Count);

        var bulk = await world.Inventory.QueryAsync(new KeyQuery { Search = "bulk-03", SortBy = KeySortField.Alias, Descending = true, PageSize = 5 });
        Assert.Equal(30, bulk.TotalCount);
        Assert.Equal("alias/bulk-03-029", bulk.Items[0].Aliases);

        var imported = Assert.Single((await world.Inventory.QueryAsync(new KeyQuery { Origin = "EXTERNAL" })).Items);
        Assert.Equal("alias/ImportedCMK", imported.Aliases);
        var rotating = Assert.Single((await world.Inventory.QueryAsync(new KeyQuery { RotationEnabled = true })).Items);
        Assert.Equal(created[0], rotating.KeyId);
        Assert.Equal(90, rotating.RotationPeriodInDays);
        Assert.NotNull(rotating.NextRotationDate);
    }

    [Fact]
    public async Task Dashboard_counts_keys_without_rotation_expiring_material_and_runs_by_state()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewImportedKeyAsync();
        var swap = await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.AliasSwapImportedKey, new RotationParameters
        {
            ExpirationModel = RotationParameters.KeyMaterialExpires,
            ValidTo = world.Time.GetUtcNow().AddDays(10),
        })).Id);
        Assert.Equal(RunState.Succeeded, swap.State);
        await world.Kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = keyId });
        await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.Inventory.SyncAsync(null);

        var counts = await world.Inventory.GetDashboardAsync();

        Assert.Equal(1, counts.KeysWithoutRotation); // FirstCMK; the escrow key rotates yearly
        Assert.Equal(1, counts.MaterialExpiringWithin30Days);
        Assert.Equal(1, counts.MaterialExpired);
        Assert.Equal(1, counts.RunsAwaitingApproval);
        Assert.Equal(0, counts.RunsFailed);
        Assert.Equal(12, counts.Upcoming.Count);
        Assert.Equal(1, counts.Upcoming.Sum(w => w.Expiries));
        Assert.Single((await world.Inventory.QueryAsync(new KeyQuery { ExpiringWithinDays = 30 })).Items);
    }

    [Fact]
    public async Task Key_detail_is_read_live_with_aliases_tags_rotation_status_and_key_materials()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewImportedKeyAsync();
        await world.DriveAsync((await world.SubmitAsync(alias, WorkflowKind.NewMaterialInPlace)).Id);
        await world.Kms.TagResourceAsync(new TagResourceRequest { KeyId = keyId, Tags = [new Tag { TagKey = "owner", TagValue = "payments" }] });

        var detail = await world.Inventory.GetDetailAsync(RotationWorld.Target, keyId);

        Assert.Equal(keyId, detail.KeyId);
        Assert.Equal([alias], detail.Aliases);
        Assert.Equal("EXTERNAL", detail.Origin);
        Assert.Contains(detail.Tags, t => t.Key == "owner" && t.Value == "payments");
        Assert.Equal(2, detail.Rotations.Count(r => r.KeyMaterialId is not null));
        Assert.Single(detail.Rotations, r => r.KeyMaterialState == "CURRENT");
        Assert.Equal([WorkflowKind.AliasSwapImportedKey, WorkflowKind.NewMaterialInPlace, WorkflowKind.ReimportBeforeExpiry], world.Requests.WorkflowsFor(detail.Summary));
    }

    [Fact]
    public async Task Queries_over_ten_thousand_keys_filter_sort_and_page_in_the_database()
    {
        await using var world = await RotationWorld.StartAsync();
        var now = world.Time.GetUtcNow();
        await world.Get<Persistence.RotationStore>().WriteAsync(async (db, _) =>
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = 0; i < 10_000; i++)
            {
                db.KeySnapshots.Add(new KeySnapshot
                {
                    Target = RotationWorld.Target,
                    KeyId = $"key-{i:D5}",
                    Arn = $"arn:aws:kms:us-east-1:111122223333:key/key-{i:D5}",
                    Aliases = $"alias/service-{i % 500:D3}-{i:D5}",
                    Origin = i % 10 == 0 ? "EXTERNAL" : "AWS_KMS",
                    KeySpec = "SYMMETRIC_DEFAULT",
                    KeyUsage = "ENCRYPT_DECRYPT",
                    KeyState = "Enabled",
                    RotationEnabled = i % 3 == 0,
                    NextRotationDate = i % 3 == 0 ? now.AddDays(i % 365) : null,
                    ValidTo = i % 10 == 0 ? now.AddDays(i % 60) : null,
                    CreationDate = now.AddDays(-i),
                    SyncedAt = now,
                });
            }

            await Task.CompletedTask;
        }, CancellationToken.None);

        // Correctness only; their speed is measured by the benchmark's queries mode (benchmarks/KmsConsole.Benchmarks).
        var service = await world.Inventory.QueryAsync(new KeyQuery { Search = "service-042", SortBy = KeySortField.KeyId, Descending = true, Page = 1, PageSize = 5 /* second page */ });
        var expiring = await world.Inventory.QueryAsync(new KeyQuery { Origin = "EXTERNAL", ExpiringWithinDays = 30, SortBy = KeySortField.ValidTo, PageSize = 100 });
        var rotating = await world.Inventory.QueryAsync(new KeyQuery { RotationEnabled = true, SortBy = KeySortField.NextRotationDate, PageSize = 50 });

        Assert.Equal(20, service.TotalCount);
        Assert.Equal(["key-07042", "key-06542", "key-06042", "key-05542", "key-05042"], service.Items.Select(k => k.KeyId));
        Assert.Equal(501, expiring.TotalCount); // i % 10 == 0 and i % 60 in {10, 20, 30}
        Assert.True(expiring.Items.Zip(expiring.Items.Skip(1)).All(p => p.First.ValidTo <= p.Second.ValidTo));
        Assert.Equal(3334, rotating.TotalCount);
    }

    private sealed class SyncProgress(List<InventorySyncProgress> reports) : IProgress<InventorySyncProgress>
    {
        public void Report(InventorySyncProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
