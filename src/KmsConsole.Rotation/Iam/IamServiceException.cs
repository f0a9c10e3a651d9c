using System.Net;

namespace KmsConsole.Rotation.Iam;

/// <summary>
/// An error answered by IAM (or STS) in its Query protocol's <c>ErrorResponse/Error/Code</c>. The subclasses
/// are the codes callers react to; any other code arrives as this base type with <see cref="ErrorCode"/> set.
/// </summary>
public class IamServiceException : Exception
{
    public IamServiceException(string errorCode, string message, string? requestId, HttpStatusCode statusCode, string? errorType = null)
        : base(message)
    {
        ErrorCode = errorCode;
        RequestId = requestId;
        StatusCode = statusCode;
        ErrorType = errorType;
    }

    /// <summary>IAM's code, e.g. NoSuchEntity, EntityAlreadyExists, MalformedPolicyDocument, LimitExceeded, InvalidInput.</summary>
    public string ErrorCode { get; }

    public string? RequestId { get; }

    public HttpStatusCode StatusCode { get; }

    /// <summary>Sender or Receiver, when the service says.</summary>
    public string? ErrorType { get; }

    /// <summary>Builds the typed exception for an IAM error code.</summary>
    public static IamServiceException For(string errorCode, string message, string? requestId, HttpStatusCode statusCode, string? errorType = null) => errorCode switch
    {
        "NoSuchEntity" => new IamNoSuchEntityException(message, requestId, statusCode, errorType),
        "EntityAlreadyExists" => new IamEntityAlreadyExistsException(message, requestId, statusCode, errorType),
        "MalformedPolicyDocument" => new IamMalformedPolicyDocumentException(message, requestId, statusCode, errorType),
        "LimitExceeded" => new IamLimitExceededException(message, requestId, statusCode, errorType),
        "InvalidInput" => new IamInvalidInputException(message, requestId, statusCode, errorType),
        "AccessDenied" => new IamAccessDeniedException(message, requestId, statusCode, errorType),
        _ => new IamServiceException(errorCode, message, requestId, statusCode, errorType),
    };
}

public sealed class IamNoSuchEntityException(string message, string? requestId, HttpStatusCode statusCode, string? errorType = null)
    : IamServiceException("NoSuchEntity", message, requestId, statusCode, errorType);

public sealed class IamEntityAlreadyExistsException(string message, string? requestId, HttpStatusCode statusCode, string? errorType = null)
    : IamServiceException("EntityAlreadyExists", message, requestId, statusCode, errorType);

public sealed class IamMalformedPolicyDocumentException(string message, string? requestId, HttpStatusCode statusCode, string? errorType = null)
    : IamServiceException("MalformedPolicyDocument", message, requestId, statusCode, errorType);

public sealed class IamLimitExceededException(string message, string? requestId, HttpStatusCode statusCode, string? errorType = null)
    : IamServiceException("LimitExceeded", message, requestId, statusCode, errorType);

public sealed class IamInvalidInputException(string message, string? requestId, HttpStatusCode statusCode, string? errorType = null)
    : IamServiceException("InvalidInput", message, requestId, statusCode, errorType);

public sealed class IamAccessDeniedException(string message, string? requestId, HttpStatusCode statusCode, string? errorType = null)
    : IamServiceException("AccessDenied", message, requestId, statusCode, errorType);

/// <summary>
/// The endpoint did not answer in IAM's protocol at all (e.g. an HTML 500 page from an emulator that lacks the
/// operation, or a proxy error). Preflight treats this like a missing SimulatePrincipalPolicy.
/// </summary>
public sealed class IamProtocolException(string action, HttpStatusCode statusCode, string detail)
    : Exception($"IAM {action} answered HTTP {(int)statusCode} without an IAM error document: {detail}")
{
    public string Action { get; } = action;

    public HttpStatusCode StatusCode { get; } = statusCode;
}
