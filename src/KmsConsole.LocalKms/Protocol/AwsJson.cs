using System.Text.Json.Nodes;

namespace KmsConsole.LocalKms.Protocol;

/// <summary>AWS JSON 1.1 value conventions: timestamps are epoch seconds, blobs are base64 strings.</summary>
public static class AwsJson
{
    public const string ContentType = "application/x-amz-json-1.1";

    public static JsonNode Timestamp(DateTimeOffset value) => JsonValue.Create(value.ToUnixTimeMilliseconds() / 1000.0);

    public static JsonNode Blob(ReadOnlySpan<byte> value) => JsonValue.Create(Convert.ToBase64String(value));

    public static DateTimeOffset FromEpochSeconds(double seconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000.0));
}
