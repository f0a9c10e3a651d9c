using Amazon.Runtime;
using Amazon.Runtime.Internal;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Targets;

/// <summary>
/// The SDK's standard retry mode (which errors are retried: throttling, 5xx, timeouts, dropped connections) with the
/// console's backoff and budget, and every retry made known to <see cref="CallRetries"/> (the run's step record). The SDK's shared retry quota (a token bucket per endpoint that stops all retries after a burst of
/// failures) is not used: each call's budget bounds its own retries, and the inventory paces itself to KMS's quotas,
/// so a long spell of throttling keeps every call retrying instead of failing them all at once.
/// </summary>
internal sealed class KmsRetryPolicy(IClientConfig config, KmsCallOptions options) : StandardRetryPolicy(config)
{
    private const string LastErrorAttribute = "KmsConsole.LastError";

    public override bool RetryForException(IExecutionContext executionContext, Exception exception)
    {
        var retry = base.RetryForException(executionContext, exception);
        Remember(executionContext, exception, retry);
        return retry;
    }

    public override async Task<bool> RetryForExceptionAsync(IExecutionContext executionContext, Exception exception)
    {
        var retry = await base.RetryForExceptionAsync(executionContext, exception);
        Remember(executionContext, exception, retry);
        return retry;
    }

    public override bool OnRetry(IExecutionContext executionContext, bool bypassAcquireCapacity, bool isThrottlingError)
    {
        var request = executionContext.RequestContext;
        var error = request.ContextAttributes.TryGetValue(LastErrorAttribute, out var code) ? (string)code : "unknown error";
        CallRetries.Record(OperationOf(request), error);
        return true;
    }

    public override void WaitBeforeRetry(IExecutionContext executionContext) =>
        Thread.Sleep(options.Backoff(executionContext.RequestContext.Retries));

    public override Task WaitBeforeRetryAsync(IExecutionContext executionContext) =>
        Task.Delay(options.Backoff(executionContext.RequestContext.Retries), executionContext.RequestContext.CancellationToken);

    /// <summary>"DescribeKeyRequest" → "DescribeKey", the name AWS gives the operation.</summary>
    internal static string OperationOf(IRequestContext request) =>
        request.RequestName.EndsWith("Request", StringComparison.Ordinal) ? request.RequestName[..^"Request".Length] : request.RequestName;

    private static void Remember(IExecutionContext executionContext, Exception exception, bool retry)
    {
        if (retry)
        {
            executionContext.RequestContext.ContextAttributes[LastErrorAttribute] = exception switch
            {
                AmazonServiceException { ErrorCode: { Length: > 0 } code } => code,
                AmazonServiceException s => $"HTTP {(int)s.StatusCode}",
                OperationCanceledException or TimeoutException => "Timeout",
                _ => exception.GetType().Name,
            };
        }
    }
}
