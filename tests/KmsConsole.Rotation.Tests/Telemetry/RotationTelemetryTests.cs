using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using KmsConsole.Rotation.Telemetry;

namespace KmsConsole.Rotation.Tests.Telemetry;

/// <summary>What an in-process listener (as OpenTelemetry's SDK is one) sees of a run: its steps' spans with their KMS calls, and the metrics.</summary>
public sealed class RotationTelemetryTests
{
    [Fact]
    public async Task A_run_step_is_a_span_holding_its_kms_calls_with_operation_target_region_and_request_id_and_both_are_measured()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RotationTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(tracing);
        var measured = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var metrics = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RotationTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        metrics.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, Tags(tags))));
        metrics.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measured.Enqueue((instrument.Name, value, Tags(tags))));
        metrics.Start();
        await using var world = await RotationWorld.StartAsync();

        var run = await world.DriveAsync((await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation)).Id);

        Assert.Equal(RunState.Succeeded, run.State);
        var steps = spans.Where(s => s.GetTagItem("kmsconsole.run.id") as string == run.Id.ToString()).ToList();
        var enable = Assert.Single(steps, s => s.DisplayName == "run step " + Rotation.Workflows.StepKey.EnableRotation);
        Assert.Equal("EnableAutomaticRotation", enable.GetTagItem("kmsconsole.workflow"));
        Assert.Equal("succeeded", enable.GetTagItem("kmsconsole.outcome"));
        var call = Assert.Single(spans, s => s.ParentSpanId == enable.SpanId && s.DisplayName == "KMS EnableKeyRotation");
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal("local", call.GetTagItem("kmsconsole.target"));
        Assert.Equal("us-east-1", call.GetTagItem("cloud.region"));
        Assert.False(string.IsNullOrEmpty(call.GetTagItem("aws.request_id") as string));
        Assert.Equal(0, call.GetTagItem("aws.retries"));
        Assert.Contains(measured, m => m.Instrument == "kmsconsole.kms.call.duration" && Equals(m.Tags["rpc.method"], "EnableKeyRotation") && m.Value > 0);
        Assert.Contains(measured, m => m.Instrument == "kmsconsole.run.step.duration" && Equals(m.Tags["kmsconsole.step"], Rotation.Workflows.StepKey.EnableRotation));
        Assert.Contains(measured, m => m.Instrument == "kmsconsole.runs" && Equals(m.Tags["kmsconsole.run.state"], "Succeeded"));
    }

    [Fact]
    public async Task A_kms_call_that_fails_is_counted_with_its_error_code()
    {
        var errors = new ConcurrentQueue<Dictionary<string, object?>>();
        using var metrics = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RotationTelemetry.Name && instrument.Name == "kmsconsole.kms.call.errors")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        metrics.SetMeasurementEventCallback<long>((_, _, tags, _) => errors.Enqueue(Tags(tags)));
        metrics.Start();
        await using var world = await RotationWorld.StartAsync();
        var kms = world.Get<IKmsClientFactory>().Create(RotationWorld.Target);

        await Assert.ThrowsAsync<Amazon.KeyManagementService.Model.NotFoundException>(() =>
            kms.DescribeKeyAsync(new Amazon.KeyManagementService.Model.DescribeKeyRequest { KeyId = "alias/does-not-exist-" + Guid.NewGuid().ToString("N") }));

        Assert.Contains(errors, t => Equals(t["rpc.method"], "DescribeKey") && Equals(t["error.type"], "NotFoundException") && Equals(t["kmsconsole.target"], RotationWorld.Target));
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        return copy;
    }
}
