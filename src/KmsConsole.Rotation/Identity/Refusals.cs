using Amazon.Runtime;

namespace KmsConsole.Rotation;

/// <summary>
/// The Rotation boundary's one translation of expected failures into <see cref="RotationRefusedException"/>: KMS or STS
/// saying no (with AWS's code, message and request id), IAM saying no, KMS or IAM not answering (a timeout arrives as a
/// cancellation nobody asked for), and a key or resource that does not exist. The public services run their work
/// through it, so pages and the API catch one type; anything else is a bug and propagates as it is.
/// </summary>
internal static class Refusals
{
    public static async Task<T> TranslateAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (From(e, cancellationToken) is { } refusal && !ReferenceEquals(refusal, e))
        {
            throw refusal;
        }
    }

    public static Task TranslateAsync(Func<Task> work, CancellationToken cancellationToken) =>
        TranslateAsync(async () =>
        {
            await work();
            return true;
        }, cancellationToken);

    /// <summary>The refusal an expected failure stands for; null for an unexpected one (a bug) or a cancellation the caller asked for.</summary>
    public static RotationRefusedException? From(Exception e, CancellationToken cancellationToken) => e switch
    {
        RotationRefusedException refused => refused,
        AmazonServiceException aws => new RotationRefusedException(aws.Message, kind: KindOf(aws), inner: aws)
        {
            AwsErrorCode = aws.ErrorCode,
            AwsMessage = aws.Message,
            AwsRequestId = aws.RequestId,
        },
        Iam.IamServiceException iam => new RotationRefusedException(iam.Message, kind: RefusalKind.KmsRefused, inner: iam)
        {
            AwsErrorCode = iam.ErrorCode,
            AwsMessage = iam.Message,
            AwsRequestId = iam.RequestId,
        },
        Iam.IamProtocolException or AmazonClientException or HttpRequestException or TimeoutException =>
            new RotationRefusedException(e.Message, kind: RefusalKind.Unavailable, inner: e),
        // HttpClient's timeout arrives as a cancellation the caller did not ask for.
        OperationCanceledException when !cancellationToken.IsCancellationRequested =>
            new RotationRefusedException((e.InnerException ?? e).Message, kind: RefusalKind.Unavailable, inner: e),
        KeyNotFoundException => new RotationRefusedException(e.Message, kind: RefusalKind.NotFound, inner: e),
        _ => null,
    };

    private static RefusalKind KindOf(AmazonServiceException e) =>
        e is Amazon.KeyManagementService.Model.NotFoundException ? RefusalKind.NotFound
        : new Workflows.KmsErrorPolicy().IsTransient(e) ? RefusalKind.Unavailable
        : RefusalKind.KmsRefused;
}
