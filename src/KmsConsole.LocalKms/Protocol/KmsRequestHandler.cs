using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Operations;
using KmsConsole.LocalKms.Quotas;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KmsConsole.LocalKms.Protocol;

/// <summary>
/// Answers AWS JSON 1.1 requests the way KMS does: POST / with X-Amz-Target "TrentService.&lt;Operation&gt;",
/// a JSON body, and either the operation's JSON output or HTTP 400 {"__type","message"} (500 for internal errors).
/// Requests it refuses before running (malformed, unknown, oversized, throttled) change nothing.
/// </summary>
public sealed class KmsRequestHandler(
    RegionalKeyRings rings,
    ImportTokens importTokens,
    OperationCatalog catalog,
    LocalKmsOptions options,
    LocalKmsClock clock,
    RequestQuotas quotas,
    SignatureV4 signatures,
    IEnumerable<IKmsOperationAuthorizer> authorizers,
    ILogger<KmsRequestHandler> logger)
{
    public const string TargetPrefix = "TrentService.";
    private readonly IKmsOperationAuthorizer[] _authorizers = [.. authorizers];

    public async Task HandleAsync(HttpContext http)
    {
        var requestId = Guid.NewGuid().ToString();
        http.Response.Headers["x-amzn-RequestId"] = requestId;
        var operationName = "?";
        try
        {
            // The signature covers the body, so it is read (within its size limit) and checked before anything else.
            var body = await ReadBodyAsync(http.Request);
            signatures.Verify(http.Request, body);
            var target = http.Request.Headers["X-Amz-Target"].ToString();
            if (!target.StartsWith(TargetPrefix, StringComparison.Ordinal))
            {
                throw KmsErrors.UnknownOperation(target.Length == 0 ? "Missing X-Amz-Target header." : $"Unknown target {target}.");
            }

            operationName = target[TargetPrefix.Length..];
            var operation = catalog.Find(operationName) ?? throw KmsErrors.UnknownOperation($"Unknown operation {operationName}.");
            await InjectFaultsAsync(http.RequestAborted);
            var cryptographic = RequestQuotas.IsCryptographic(operationName);
            if (!cryptographic && !quotas.TryAcquire(operationName))
            {
                throw Throttled();
            }

            using var document = Parse(body);
            var caller = CallerIdentity.AccessKeyId(http.Request);
            var ring = rings.For(CallerIdentity.Region(http.Request));
            var request = new KmsRequest(document.RootElement, caller);
            foreach (var authorizer in _authorizers)
            {
                authorizer.Authorize(caller, operationName, document.RootElement);
            }

            JsonObject response;
            lock (ring.Gate)
            {
                var now = clock.GetUtcNow();
                if (cryptographic && !quotas.TryAcquire(operationName, RequestQuotas.KeySpecNamedBy(operationName, document.RootElement, ring, now)))
                {
                    throw Throttled();
                }

                GrantOperations.CheckGrantTokens(operationName, document.RootElement, ring);
                response = operation(request, new OperationContext(ring, importTokens, options, now));
                KeyUsageOperations.RecordSuccess(ring, operationName, response, requestId, now);
            }

            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("{Operation} by {Caller} succeeded ({RequestId})", operationName, caller, requestId);
            }

            await WriteAsync(http, HttpStatusCode.OK, response);
        }
        catch (KmsException error)
        {
            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("{Operation} refused with {ErrorType} ({RequestId})", operationName, error.ErrorType, requestId);
            }

            await WriteErrorAsync(http, error);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; nothing to answer.
        }
        catch (IncompleteBodyException)
        {
            // The body stalled or the connection broke mid-body: close the connection, as a server does with a dead upload.
            if (logger.IsEnabled(LogLevel.Debug))
            {
                logger.LogDebug("Request {RequestId} closed: its body did not arrive", requestId);
            }

            http.Abort();
        }
        catch (Exception unexpected)
        {
            // Only the exception type: messages of crypto failures could echo request data.
            logger.LogError("{Operation} failed with {ExceptionType} ({RequestId})", operationName, unexpected.GetType().Name, requestId);
            await WriteErrorAsync(http, KmsErrors.Internal("The request processing has failed because of an unknown error, exception or failure."));
        }
    }

    private static KmsException Throttled() =>
        KmsErrors.Throttling("You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.");

    /// <summary>
    /// Reads the whole body within <see cref="LocalKmsOptions.RequestBodyTimeout"/>. A body that ends before its
    /// Content-Length is a SerializationException; a stalled or broken upload is an <see cref="IncompleteBodyException"/>.
    /// </summary>
    private async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        var limit = options.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted);
        deadline.CancelAfter(options.RequestBodyTimeout);
        try
        {
            return await ReadWithinAsync(request, limit, deadline.Token);
        }
        catch (EndOfStreamException)
        {
            throw KmsErrors.Serialization("The request body is shorter than its Content-Length.");
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status400BadRequest)
        {
            // Kestrel's "Unexpected end of request content": the client ended the body early.
            throw KmsErrors.Serialization("The request body is shorter than its Content-Length.");
        }
        catch (BadHttpRequestException)
        {
            // Kestrel's minimum data rate (408): the body is arriving too slowly.
            throw new IncompleteBodyException();
        }
        catch (OperationCanceledException) when (!request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            throw new IncompleteBodyException();
        }
        catch (IOException)
        {
            // The connection was reset mid-body.
            throw new IncompleteBodyException();
        }
    }

    private static async Task<byte[]> ReadWithinAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared)
        {
            var exact = new byte[declared];
            await request.Body.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static KmsException TooLarge(long limit) =>
        new("RequestEntityTooLargeException", $"The request body is larger than {limit} bytes.", HttpStatusCode.RequestEntityTooLarge);

    private static JsonDocument Parse(byte[] body)
    {
        if (body.Length == 0)
        {
            return JsonDocument.Parse("{}");
        }

        try
        {
            var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw KmsErrors.Serialization("The request body must be a JSON object.");
            }

            return document;
        }
        catch (JsonException)
        {
            throw KmsErrors.Serialization("The request body is not valid JSON.");
        }
    }

    private async Task InjectFaultsAsync(CancellationToken cancellationToken)
    {
        var faults = options.Faults;
        if (!faults.IsActive)
        {
            return;
        }

        if (faults.DelayShare > 0 && Random.Shared.NextDouble() < faults.DelayShare)
        {
            await Task.Delay(faults.Delay, clock.Inner, cancellationToken);
        }

        if (faults.ThrottlingShare > 0 && Random.Shared.NextDouble() < faults.ThrottlingShare)
        {
            throw KmsErrors.Throttling("Rate exceeded (fault injected by the local KMS endpoint).");
        }

        if (faults.InternalErrorShare > 0 && Random.Shared.NextDouble() < faults.InternalErrorShare)
        {
            throw KmsErrors.Internal("Internal failure (fault injected by the local KMS endpoint).");
        }
    }

    private static Task WriteErrorAsync(HttpContext http, KmsException error) =>
        WriteAsync(http, error.StatusCode, new JsonObject { ["__type"] = error.ErrorType, ["message"] = error.Message });

    private static async Task WriteAsync(HttpContext http, HttpStatusCode status, JsonObject body)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        http.Response.StatusCode = (int)status;
        http.Response.ContentType = AwsJson.ContentType;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }
}

/// <summary>A request body that stalled or broke off; the connection is closed without an answer.</summary>
internal sealed class IncompleteBodyException : Exception
{
}

/// <summary>
/// A check run before every KMS operation, e.g. evaluating the caller's IAM policies.
/// Throw a <see cref="KmsException"/> (such as "AccessDeniedException") to refuse the call.
/// </summary>
public interface IKmsOperationAuthorizer
{
    void Authorize(string callerAccessKeyId, string operation, JsonElement requestBody);
}

/// <summary>The caller of a request: the access key id in its SigV4 Authorization header.</summary>
public static class CallerIdentity
{
    public const string Anonymous = "anonymous";

    /// <summary>The Region of the SigV4 credential scope (Credential=AKID/date/region/service/aws4_request); null when absent.</summary>
    public static string? Region(HttpRequest request)
    {
        var scope = Scope(request);
        return scope.Length >= 3 ? scope[2] : null;
    }

    private static string[] Scope(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string marker = "Credential=";
        var start = authorization.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return [];
        }

        start += marker.Length;
        var end = authorization.IndexOfAny([',', ' '], start);
        return authorization[start..(end < 0 ? authorization.Length : end)].Split('/');
    }

    public static string AccessKeyId(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string marker = "Credential=";
        var start = authorization.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return Anonymous;
        }

        start += marker.Length;
        var end = authorization.IndexOf('/', start);
        return end > start ? authorization[start..end] : Anonymous;
    }
}
