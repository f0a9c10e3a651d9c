using System.Net;
using Amazon.Runtime;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Workflows;

/// <summary>
/// The one place that decides which KMS failures are retried (throttling, 5xx, timeouts) and how an error
/// is shown: AWS's own error code and message, as AWS wrote them. KMS answers a request rate above its quota with
/// ThrottlingException; LimitExceededException is a resource quota (keys, aliases, on-demand rotations) that waiting does not lift.
/// </summary>
internal sealed class KmsErrorPolicy : IStepErrorPolicy
{
    /// <summary>KMS's answer to a request rate above its quota.</summary>
    internal const string ThrottlingCode = "ThrottlingException";

    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        ThrottlingCode, "KMSInternalException", "DependencyTimeoutException", "ServiceUnavailable",
        "InternalFailure", "RequestTimeout", "RequestTimeoutException",
    };

    /// <summary>Whether a recorded error code (<see cref="Describe"/>'s) names a transient failure: throttling, a 5xx, a timeout.</summary>
    internal static bool IsTransientCode(string? code) => code is { } c && (TransientCodes.Contains(c) || c == "Timeout");

    /// <summary>Whether KMS throttled the request: waiting is always the cure.</summary>
    internal static bool IsThrottling(Exception exception) =>
        exception is AmazonServiceException { ErrorCode: ThrottlingCode } or AmazonServiceException { StatusCode: HttpStatusCode.TooManyRequests };

    public bool IsTransient(Exception exception) => exception switch
    {
        AmazonServiceException s when s.ErrorCode is { } code && TransientCodes.Contains(code) => true,
        AmazonServiceException s when (int)s.StatusCode >= 500 => true,
        AmazonServiceException { StatusCode: HttpStatusCode.TooManyRequests } => true,
        AmazonServiceException { InnerException: { } inner } => IsTransient(inner),
        TimeoutException or HttpRequestException or IOException => true,
        TaskCanceledException t when t.InnerException is TimeoutException => true,
        AmazonClientException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };

    public (string Code, string Message, string? RequestId) Describe(Exception exception) => exception switch
    {
        AmazonServiceException s => (s.ErrorCode ?? s.StatusCode.ToString(), s.Message, s.RequestId),
        RotationRefusedException r => ("Refused", r.Message, null),
        StepCheckFailedException c => ("VerificationFailed", c.Message, c.RequestId),
        TimeoutException or TaskCanceledException => ("Timeout", exception.Message, null),
        _ => (exception.GetType().Name, exception.Message, null),
    };
}

/// <summary>A verify step found KMS in a state other than the one the run expected.</summary>
internal sealed class StepCheckFailedException(string message, string? requestId = null) : Exception(message)
{
    public string? RequestId { get; } = requestId;
}
