using Amazon.KeyManagementService;
using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace KmsConsole.Rotation.Targets;

/// <summary>
/// The SDK's KMS client of one target with the console's pieces in its pipeline: the retry policy
/// (<see cref="KmsRetryPolicy"/>) and, inside it so that every attempt counts, the pacing to the target's request quotas
/// (<see cref="RequestPacing"/>).
/// </summary>
internal sealed class TargetKmsClient(AWSCredentials credentials, AmazonKeyManagementServiceConfig config, KmsCallOptions calls, RequestPacing.Target pacing,
    KmsCallTelemetry telemetry)
    : AmazonKeyManagementServiceClient(credentials, config)
{
    // Read by CustomizeRuntimePipeline, which the base constructor calls: field initialisers run before it.
    private readonly KmsCallOptions _calls = calls;
    private readonly RequestPacing.Target _pacing = pacing;
    private readonly KmsCallTelemetry _telemetry = telemetry;

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.ReplaceHandler<RetryHandler>(new RetryHandler(new KmsRetryPolicy(Config, _calls)));
        pipeline.AddHandlerAfter<RetryHandler>(new PacingHandler(_pacing));
        // Outside the retries: one span and one duration per call, with the retries it took.
        pipeline.AddHandlerBefore<RetryHandler>(_telemetry);
    }

    /// <summary>Waits for the operation's quota before each attempt is sent.</summary>
    private sealed class PacingHandler(RequestPacing.Target pacing) : PipelineHandler
    {
        public override async Task<T> InvokeAsync<T>(IExecutionContext executionContext)
        {
            using var lease = await pacing.AcquireAsync(KmsRetryPolicy.OperationOf(executionContext.RequestContext), executionContext.RequestContext.CancellationToken);
            return await base.InvokeAsync<T>(executionContext);
        }

        public override void InvokeSync(IExecutionContext executionContext)
        {
            using var lease = pacing.AcquireAsync(KmsRetryPolicy.OperationOf(executionContext.RequestContext), CancellationToken.None).AsTask().GetAwaiter().GetResult();
            base.InvokeSync(executionContext);
        }
    }
}
