using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Telemetry;

namespace KmsConsole.Rotation.Tests.Inventory;

/// <summary>A later sync asks ListKeyRotations (100 a second) only of keys whose current key material changed since the last sync.</summary>
public sealed class LaterSyncTests
{
    private const string TestSource = "KmsConsole.Rotation.Tests.LaterSync";
    private static readonly ActivitySource Test = new(TestSource);

    /// <summary>The KMS operations this test's own syncs called (told apart from other tests' by the trace they run in).</summary>
    private static async Task<List<string>> CallsOfAsync(Func<Task> sync)
    {
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name is TestSource or RotationTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(tracing);
        using var root = Test.StartActivity("sync under test")!;
        var trace = root.TraceId;
        var calls = new ConcurrentQueue<string>();
        using var metrics = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RotationTelemetry.Name && instrument.Name == "kmsconsole.kms.call.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        metrics.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            if (Activity.Current?.TraceId == trace)
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "rpc.method")
                    {
                        calls.Enqueue((string)tag.Value!);
                    }
                }
            }
        });
        metrics.Start();
        await sync();
        return calls.ToList();
    }

    [Fact]
    public async Task A_later_sync_reads_the_rotations_only_of_the_key_that_rotated_and_shows_its_new_rotation_date()
    {
        await using var world = await RotationWorld.StartAsync();
        var (rotated, _) = await world.NewAwsKeyAsync("later-rotated");
        var (still, _) = await world.NewAwsKeyAsync("later-still");

        var first = await CallsOfAsync(() => world.Inventory.SyncAsync(null));
        Assert.True(first.Count(c => c == "ListKeyRotations") >= 2, string.Join(", ", first));
        var stillBefore = (await world.Inventory.QueryAsync(new KeyQuery { Search = still })).Items.Single();
        Assert.NotNull(stillBefore.CurrentKeyMaterialId);

        await world.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = rotated });
        var later = await CallsOfAsync(() => world.Inventory.SyncAsync(null));

        Assert.Equal(1, later.Count(c => c == "ListKeyRotations"));
        Assert.True(later.Count(c => c == "DescribeKey") >= 2, string.Join(", ", later));
        var rotatedRow = (await world.Inventory.QueryAsync(new KeyQuery { Search = rotated })).Items.Single();
        Assert.NotNull(rotatedRow.LastRotationDate);
        Assert.Equal((await world.DescribeAsync(rotated)).CurrentKeyMaterialId, rotatedRow.CurrentKeyMaterialId);
        var stillAfter = (await world.Inventory.QueryAsync(new KeyQuery { Search = still })).Items.Single();
        Assert.Equal((stillBefore.CurrentKeyMaterialId, stillBefore.LastRotationDate), (stillAfter.CurrentKeyMaterialId, stillAfter.LastRotationDate));
    }
}
