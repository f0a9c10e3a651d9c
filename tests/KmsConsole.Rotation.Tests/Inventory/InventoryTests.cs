using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Iam;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.Rotation.Tests.Inventory;

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
        Assert.Equal(0, counts.MaterialExpired); // the old key's material was deleted on purpose, it did not expire
        Assert.Equal(1, counts.RunsAwaitingApproval);
        Assert.Equal(0, counts.RunsFailed);
        Assert.Equal(12, counts.Upcoming.Count);
        Assert.Equal(1, counts.Upcoming.Sum(w => w.Expiries));
        Assert.Single((await world.Inventory.QueryAsync(new KeyQuery { ExpiringWithinDays = 30 })).Items);

        // Only the endpoint's clock moves, as in a rehearsal: expiry is read from KMS, not judged by the console's clock.
        world.Server.Clock.Advance(TimeSpan.FromDays(11));
        await world.Inventory.SyncAsync(null);
        var later = await world.Inventory.GetDashboardAsync();

        Assert.Equal(1, later.MaterialExpired);
        Assert.Equal(0, later.MaterialExpiringWithin30Days);
        Assert.Equal(swap.NewKeyId, Assert.Single((await world.Inventory.QueryAsync(new KeyQuery { MaterialExpired = true })).Items).KeyId);
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
        await world.Get<KmsConsole.Rotation.Persistence.RotationStore>().WriteAsync(async (db, _) =>
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

        // Correctness only; their speed is measured by the benchmark's queries mode (tests/KmsConsole.Benchmarks).
        var service = await world.Inventory.QueryAsync(new KeyQuery { Search = "service-042", SortBy = KeySortField.KeyId, Descending = true, Page = 1, PageSize = 5 /* second page */ });
        var expiring = await world.Inventory.QueryAsync(new KeyQuery { Origin = "EXTERNAL", ExpiringWithinDays = 30, SortBy = KeySortField.ValidTo, PageSize = 100 });
        var rotating = await world.Inventory.QueryAsync(new KeyQuery { RotationEnabled = true, SortBy = KeySortField.NextRotationDate, PageSize = 50 });

        Assert.Equal(20, service.TotalCount);
        Assert.Equal(["key-07042", "key-06542", "key-06042", "key-05542", "key-05042"], service.Items.Select(k => k.KeyId));
        Assert.Equal(501, expiring.TotalCount); // i % 10 == 0 and i % 60 in {10, 20, 30}
        Assert.True(expiring.Items.Zip(expiring.Items.Skip(1)).All(p => p.First.ValidTo <= p.Second.ValidTo));
        Assert.Equal(3334, rotating.TotalCount);
    }

    [Fact]
    public async Task A_key_KMS_refuses_to_describe_stays_listed_with_the_AWS_error_and_its_earlier_details_and_a_key_deleted_meanwhile_is_dropped()
    {
        const string Role = "KmsConsole-InventoryReader";
        await using var world = await RotationWorld.StartAsync(configure: o => o.Targets[0].AccessKeyId = Role);
        var iam = world.Server.Services.GetRequiredService<IamStore>();
        await iam.CreateRoleAsync(Role, "/", """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}""", "reads the key list in this test", 3600);
        await iam.PutRolePolicyAsync(Role, "KeyList", AllowEveryKmsAction);
        var (guardedId, guardedAlias) = await world.NewAwsKeyAsync("guarded");
        var (doomedId, _) = await world.NewAwsKeyAsync("doomed");
        await world.Kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = doomedId, PendingWindowInDays = 7 });
        world.Server.Services.GetRequiredService<LocalIamOptions>().EnforceKmsPermissions = true;
        var first = await world.Inventory.SyncAsync(null);
        Assert.Equal(4, first.KeysRead);
        Assert.Empty(first.Unreadable);

        var (hiddenId, hiddenAlias) = await world.NewAwsKeyAsync("hidden");
        var guardedArn = (await world.DescribeAsync(guardedId)).Arn;
        var hiddenArn = (await world.DescribeAsync(hiddenId)).Arn;
        await iam.PutRolePolicyAsync(Role, "KeyList", $$"""
            {"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Action":"kms:*","Resource":"*"},
              {"Effect":"Deny","Action":"kms:DescribeKey","Resource":["{{guardedArn}}","{{hiddenArn}}"]}]}
            """);
        ((ShiftableClock)world.Time).Advance(TimeSpan.FromMinutes(5));
        // The doomed key's deletion window ends after ListKeys listed it and before the sync reads it.
        var second = await world.Inventory.SyncAsync(new SyncProgress([], onFirstReport: () => world.Server.Clock.Advance(TimeSpan.FromDays(8))));

        Assert.Equal(2, second.KeysRead);
        Assert.Equal(1, Assert.Single(second.Targets).KeysGone);
        Assert.Equal("2 keys read, 2 could not be read", second.Summary);
        Assert.Equal(new[] { guardedId, hiddenId }.Order(), second.Unreadable.Select(u => u.KeyId).Order());
        Assert.All(second.Unreadable, u => Assert.Equal("AccessDeniedException", u.ErrorCode));
        var guardedError = Assert.Single(second.Unreadable, u => u.KeyId == guardedId).ErrorMessage;
        Assert.Equal($"User: arn:aws:sts::111122223333:assumed-role/{Role}/{Role} is not authorized to perform: kms:DescribeKey on resource: {guardedArn} with an explicit deny in an identity-based policy", guardedError);

        var rows = (await world.Inventory.QueryAsync(new KeyQuery { PageSize = 50 })).Items.ToDictionary(k => k.KeyId);
        Assert.Equal(4, rows.Count);
        Assert.DoesNotContain(doomedId, rows.Keys);
        var guarded = rows[guardedId];
        Assert.True(guarded.CouldNotRead);
        Assert.True(guarded.DetailsAreStale);
        Assert.Equal(("AccessDeniedException", guardedError), (guarded.ReadErrorCode, guarded.ReadErrorMessage));
        Assert.Equal((guardedArn, guardedAlias, "AWS_KMS", "Enabled", "guarded data key"), (guarded.Arn, guarded.Aliases, guarded.Origin, guarded.KeyState, guarded.Description));
        Assert.True(guarded.DetailsReadAt < guarded.ReadErrorAt);
        var hidden = rows[hiddenId];
        Assert.True(hidden.CouldNotRead);
        Assert.False(hidden.DetailsAreStale);
        Assert.Null(hidden.DetailsReadAt);
        Assert.Equal((hiddenArn, hiddenAlias, ""), (hidden.Arn, hidden.Aliases, hidden.Origin));
        Assert.All(rows.Values.Where(k => k.KeyId != guardedId && k.KeyId != hiddenId), k => Assert.False(k.CouldNotRead));
        var unreadable = await world.Inventory.QueryAsync(new KeyQuery { CouldNotRead = true });
        Assert.Equal(new[] { guardedId, hiddenId }.Order(), unreadable.Items.Select(k => k.KeyId).Order());
        Assert.Equal(2, (await world.Inventory.QueryAsync(new KeyQuery { CouldNotRead = false })).TotalCount);

        await iam.PutRolePolicyAsync(Role, "KeyList", AllowEveryKmsAction);
        var third = await world.Inventory.SyncAsync(null);

        Assert.Equal("4 keys read, 0 could not be read", third.Summary);
        var again = (await world.Inventory.QueryAsync(new KeyQuery { Search = "hidden" })).Items.Single();
        Assert.Equal((false, null, null, "hidden data key"), (again.CouldNotRead, again.ReadErrorCode, again.ReadErrorAt, again.Description));
        Assert.NotNull(again.DetailsReadAt);
    }

    [Fact]
    public async Task A_refresh_asked_for_while_one_runs_joins_it_with_its_progress_and_result_and_KMS_sees_one_pass()
    {
        await using var world = await RotationWorld.StartAsync();
        var recorder = world.Server.Services.GetRequiredService<KmsCallRecorder>();
        recorder.Recording = true;
        world.Server.Faults.Delay = TimeSpan.FromMilliseconds(100);
        world.Server.Faults.DelayShare = 1;
        var firstReports = new List<InventorySyncProgress>();
        var secondReports = new List<InventorySyncProgress>();
        Task<InventorySyncResult>? second = null;

        // The second user presses Refresh once the first sync has listed the keys and is reading them.
        var first = world.Inventory.SyncAsync(new SyncProgress(firstReports, onFirstReport: () => second = world.Inventory.SyncAsync(new SyncProgress(secondReports))));
        var results = new[] { await first, await (second ?? throw new InvalidOperationException("The first sync never reported its progress.")) };

        var calls = recorder.CallsBy("kmsconsole-tests");
        Assert.Single(calls, c => c.Action == "kms:ListKeys");
        Assert.Equal(2, calls.Count(c => c.Action == "kms:DescribeKey"));
        Assert.Same(results[0].Targets[0], results[1].Targets[0]);
        Assert.Equal("2 keys read, 0 could not be read", results[1].Summary);
        Assert.Equal(new InventorySyncProgress(RotationWorld.Target, 0, 2), secondReports[0]);
        Assert.Equal(new InventorySyncProgress(RotationWorld.Target, 2, 2), secondReports[^1]);
        Assert.Equal(firstReports[^1], secondReports[^1]);

        // Once it has ended, the next refresh reads KMS again.
        await world.Inventory.SyncAsync(null);
        Assert.Equal(2, recorder.CallsBy("kmsconsole-tests").Count(c => c.Action == "kms:ListKeys"));
    }

    [Fact]
    public async Task A_caller_who_gives_up_on_a_joined_refresh_does_not_cancel_it_for_the_one_who_started_it()
    {
        await using var world = await RotationWorld.StartAsync();
        var recorder = world.Server.Services.GetRequiredService<KmsCallRecorder>();
        recorder.Recording = true;
        world.Server.Faults.Delay = TimeSpan.FromMilliseconds(100);
        world.Server.Faults.DelayShare = 1;
        using var leaving = new CancellationTokenSource();
        Task<InventorySyncResult>? second = null;

        var first = world.Inventory.SyncAsync(new SyncProgress([], onFirstReport: () =>
        {
            second = world.Inventory.SyncAsync(null, leaving.Token);
            leaving.Cancel();
        }));

        var result = await first;
        Assert.NotNull(second);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.Equal("2 keys read, 0 could not be read", result.Summary);
        Assert.Single(recorder.CallsBy("kmsconsole-tests"), c => c.Action == "kms:ListKeys");
        Assert.Equal(2, (await world.Inventory.QueryAsync(new KeyQuery())).TotalCount);
    }

    [Fact]
    public async Task A_refresh_every_caller_gave_up_on_is_cancelled_and_the_next_refresh_starts_afresh()
    {
        await using var world = await RotationWorld.StartAsync();
        var recorder = world.Server.Services.GetRequiredService<KmsCallRecorder>();
        recorder.Recording = true;
        using var leaving = new CancellationTokenSource();
        Task<InventorySyncResult>? next = null;

        // Inside the first sync's progress report, so that sync is certainly still running when the next one is asked for.
        var abandoned = world.Inventory.SyncAsync(new SyncProgress([], onFirstReport: () =>
        {
            leaving.Cancel();
            next = world.Inventory.SyncAsync(null);
        }), leaving.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.NotNull(next);
        Assert.Equal("2 keys read, 0 could not be read", (await next).Summary);
        Assert.Equal(2, recorder.CallsBy("kmsconsole-tests").Count(c => c.Action == "kms:ListKeys"));
    }

    private const string AllowEveryKmsAction = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}""";

    private sealed class SyncProgress(List<InventorySyncProgress> reports, Action? onFirstReport = null) : IProgress<InventorySyncProgress>
    {
        private int _reported;

        public void Report(InventorySyncProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }

            if (Interlocked.Increment(ref _reported) == 1)
            {
                onFirstReport?.Invoke();
            }
        }
    }
}
