using System.Diagnostics;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using KmsConsole.Rotation.Telemetry;

namespace KmsConsole.Rotation.Targets;

/// <summary>
/// A span and the call metrics for each KMS call of one target: operation, target, Region, AWS request id, the retries
/// the SDK made, and the error code when it failed for good. Sits outside the retry handler, so a call is measured once.
/// </summary>
internal sealed class KmsCallTelemetry(string target, string region) : PipelineHandler
{
    private const string Service = "KMS";

    public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
    {
        var operation = KmsRetryPolicy.OperationOf(executionContext.RequestContext);
        using var span = RotationTelemetry.Source.StartActivity($"{Service} {operation}", ActivityKind.Client);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await base.InvokeAsync<T>(executionContext);
            Ended(executionContext, span, started, operation, response.ResponseMetadata?.RequestId, null);
            return response;
        }
        catch (Exception e)
        {
            var (requestId, code) = e is AmazonServiceException service ? (service.RequestId, service.ErrorCode ?? e.GetType().Name) : (null, e.GetType().Name);
            Ended(executionContext, span, started, operation, requestId, code);
            throw;
        }
    }

    public override void InvokeSync(IExecutionContext executionContext)
    {
        // The console calls KMS asynchronously only; a synchronous call is passed on unmeasured.
        base.InvokeSync(executionContext);
    }

    private void Ended(IExecutionContext context, Activity? span, long started, string operation, string? requestId, string? error)
    {
        var retries = context.RequestContext.Retries;
        var tags = new TagList
        {
            { RotationTelemetry.ServiceTag, Service },
            { RotationTelemetry.OperationTag, operation },
            { RotationTelemetry.TargetTag, target },
            { RotationTelemetry.RegionTag, region },
        };
        if (span is not null)
        {
            foreach (var tag in tags)
            {
                span.SetTag(tag.Key, tag.Value);
            }

            span.SetTag(RotationTelemetry.RequestIdTag, requestId);
            span.SetTag(RotationTelemetry.RetriesTag, retries);
            if (error is not null)
            {
                span.SetTag(RotationTelemetry.ErrorTag, error);
                span.SetStatus(ActivityStatusCode.Error, error);
            }
        }

        RotationTelemetry.KmsCallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        if (retries > 0)
        {
            RotationTelemetry.KmsCallRetries.Add(retries, tags);
        }

        if (error is not null)
        {
            tags.Add(RotationTelemetry.ErrorTag, error);
            RotationTelemetry.KmsCallErrors.Add(1, tags);
        }
    }
}
