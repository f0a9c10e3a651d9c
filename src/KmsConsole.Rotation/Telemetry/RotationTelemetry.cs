using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace KmsConsole.Rotation.Telemetry;

/// <summary>
/// The orchestrator's traces and metrics, on the runtime's own ActivitySource and Meter (no OpenTelemetry package here):
/// the web console subscribes to <see cref="Name"/> when an exporter is configured. With no listener, StartActivity
/// returns null and a measurement is dropped at once, so telemetry that is off costs nothing measurable.
/// </summary>
public static class RotationTelemetry
{
    /// <summary>The name of both the ActivitySource and the Meter.</summary>
    public const string Name = "KmsConsole.Rotation";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>How long a step took, from its start to its outcome (workflow, step, outcome).</summary>
    internal static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>(
        "kmsconsole.run.step.duration", "s", "Duration of a run's step, by workflow, step and outcome.");

    /// <summary>Runs reaching a state (workflow, state): started, waiting at a gate, succeeded, failed, cancelled.</summary>
    internal static readonly Counter<long> RunStates = Meter.CreateCounter<long>(
        "kmsconsole.runs", "{run}", "Runs entering a state, by workflow and state.");

    /// <summary>Each KMS call, retries included (operation, target, Region, error code when it failed).</summary>
    internal static readonly Histogram<double> KmsCallDuration = Meter.CreateHistogram<double>(
        "kmsconsole.kms.call.duration", "s", "Duration of a KMS call with its retries, by operation, target and Region.");

    internal static readonly Counter<long> KmsCallErrors = Meter.CreateCounter<long>(
        "kmsconsole.kms.call.errors", "{call}", "KMS calls that failed after their retries, by operation, target, Region and error code.");

    internal static readonly Counter<long> KmsCallRetries = Meter.CreateCounter<long>(
        "kmsconsole.kms.call.retries", "{retry}", "Retries the SDK made within KMS calls, by operation, target and Region.");

    internal static readonly Histogram<double> InventorySyncDuration = Meter.CreateHistogram<double>(
        "kmsconsole.inventory.sync.duration", "s", "Duration of a target's inventory sync.");

    internal static readonly Counter<long> InventoryKeysRead = Meter.CreateCounter<long>(
        "kmsconsole.inventory.keys.read", "{key}", "Keys read by inventory syncs, by target.");

    // Span attribute and metric tag names, one place for both.
    internal const string RunIdTag = "kmsconsole.run.id";
    internal const string WorkflowTag = "kmsconsole.workflow";
    internal const string StepTag = "kmsconsole.step";
    internal const string StateTag = "kmsconsole.run.state";
    internal const string OutcomeTag = "kmsconsole.outcome";
    internal const string TargetTag = "kmsconsole.target";
    internal const string OperationTag = "rpc.method";
    internal const string ServiceTag = "rpc.service";
    internal const string RegionTag = "cloud.region";
    internal const string RequestIdTag = "aws.request_id";
    internal const string RetriesTag = "aws.retries";
    internal const string ErrorTag = "error.type";

    internal static void RunEntered(Run run, RunState state) =>
        RunStates.Add(1, new KeyValuePair<string, object?>(WorkflowTag, run.Workflow.ToString()), new KeyValuePair<string, object?>(StateTag, state.ToString()));
}
