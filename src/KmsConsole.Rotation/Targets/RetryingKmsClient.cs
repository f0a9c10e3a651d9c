using Amazon.KeyManagementService;
using Amazon.Runtime;
using Amazon.Runtime.Internal;

namespace KmsConsole.Rotation.Targets;

/// <summary>The SDK's KMS client with the console's retry policy in its pipeline (<see cref="KmsRetryPolicy"/>).</summary>
internal sealed class RetryingKmsClient(AWSCredentials credentials, AmazonKeyManagementServiceConfig config, KmsCallOptions retries)
    : AmazonKeyManagementServiceClient(credentials, config)
{
    // Read by CustomizeRuntimePipeline, which the base constructor calls: a field initialiser runs before it.
    private readonly KmsCallOptions _retries = retries;

    protected override void CustomizeRuntimePipeline(RuntimePipeline pipeline)
    {
        base.CustomizeRuntimePipeline(pipeline);
        pipeline.ReplaceHandler<RetryHandler>(new RetryHandler(new KmsRetryPolicy(Config, _retries)));
    }
}
