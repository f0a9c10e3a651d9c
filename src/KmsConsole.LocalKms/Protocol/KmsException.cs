using System.Net;

namespace KmsConsole.LocalKms.Protocol;

/// <summary>An error the endpoint answers with, named exactly as AWS KMS names it on the wire (the "__type").</summary>
public sealed class KmsException(string errorType, string message, HttpStatusCode statusCode = HttpStatusCode.BadRequest)
    : Exception(message)
{
    public string ErrorType { get; } = errorType;

    public HttpStatusCode StatusCode { get; } = statusCode;
}

/// <summary>The AWS KMS error types, as the service model names them.</summary>
public static class KmsErrors
{
    public static KmsException NotFound(string message) => new("NotFoundException", message);
    public static KmsException InvalidArn(string message) => new("InvalidArnException", message);
    public static KmsException AlreadyExists(string message) => new("AlreadyExistsException", message);
    public static KmsException InvalidAliasName(string message) => new("InvalidAliasNameException", message);
    public static KmsException Disabled(string message) => new("DisabledException", message);
    public static KmsException InvalidState(string message) => new("KMSInvalidStateException", message);
    public static KmsException InvalidCiphertext(string message) => new("InvalidCiphertextException", message);
    public static KmsException IncorrectKey(string message) => new("IncorrectKeyException", message);
    public static KmsException InvalidKeyUsage(string message) => new("InvalidKeyUsageException", message);
    public static KmsException Unsupported(string message) => new("UnsupportedOperationException", message);
    public static KmsException LimitExceeded(string message) => new("LimitExceededException", message);
    public static KmsException IncorrectKeyMaterial(string message) => new("IncorrectKeyMaterialException", message);
    public static KmsException InvalidImportToken(string message) => new("InvalidImportTokenException", message);
    public static KmsException ExpiredImportToken(string message) => new("ExpiredImportTokenException", message);
    public static KmsException MalformedPolicy(string message) => new("MalformedPolicyDocumentException", message);
    public static KmsException Tag(string message) => new("TagException", message);
    public static KmsException InvalidMarker(string message) => new("InvalidMarkerException", message);
    public static KmsException InvalidSignature(string message) => new("KMSInvalidSignatureException", message);
    public static KmsException InvalidMac(string message) => new("KMSInvalidMacException", message);
    public static KmsException CustomKeyStoreNotFound(string message) => new("CustomKeyStoreNotFoundException", message);
    public static KmsException DryRun(string message) => new("DryRunOperationException", message);
    public static KmsException Validation(string message) => new("ValidationException", message);
    public static KmsException Serialization(string message) => new("SerializationException", message);
    public static KmsException UnknownOperation(string message) => new("UnknownOperationException", message);
    public static KmsException Throttling(string message) => new("ThrottlingException", message);
    public static KmsException Internal(string message) => new("KMSInternalException", message, HttpStatusCode.InternalServerError);
}
