using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace KmsConsole.LocalKms.Tests.Support;

/// <summary>Raw AWS JSON 1.1 requests, for what the SDK would never send; signed with SigV4 as the SDK signs unless told otherwise.</summary>
public static class Raw
{
    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(
        Uri endpoint, string? target, byte[] body, RawSigning? signing = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        if (target is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        }

        (signing ?? RawSigning.Local).Sign(request, endpoint, target, body);
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
        return (response.StatusCode, json, response);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(Uri endpoint, string? target, string body, RawSigning? signing = null) =>
        PostAsync(endpoint, target, Encoding.UTF8.GetBytes(body), signing);
}

/// <summary>How a raw request is signed: an independent SigV4 signer (AWS's documented algorithm), or not at all.</summary>
public sealed record RawSigning(string? AccessKeyId, string SecretAccessKey = "", string Region = "us-east-1", DateTimeOffset? SignedAt = null)
{
    public static RawSigning Local { get; } = new("AKIDLOCAL", "local-secret");

    public static RawSigning Unsigned { get; } = new((string?)null);

    public void Sign(HttpRequestMessage request, Uri endpoint, string? target, byte[] body)
    {
        if (AccessKeyId is null)
        {
            return;
        }

        var at = (SignedAt ?? DateTimeOffset.UtcNow).UtcDateTime;
        var amzDate = at.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = at.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        var host = endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port}";
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = "application/x-amz-json-1.1",
            ["host"] = host,
            ["x-amz-date"] = amzDate,
        };
        if (target is not null)
        {
            headers["x-amz-target"] = target;
        }

        var signedHeaders = string.Join(';', headers.Keys);
        var canonical = $"POST\n/\n\n{string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n"))}\n{signedHeaders}\n{Convert.ToHexStringLower(SHA256.HashData(body))}";
        var scope = $"{date}/{Region}/kms/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + SecretAccessKey), Encoding.UTF8.GetBytes(date));
        foreach (var part in new[] { Region, "kms", "aws4_request" })
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={AccessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }
}
