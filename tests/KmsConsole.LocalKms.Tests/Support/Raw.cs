using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KmsConsole.LocalKms.Tests.Support;

/// <summary>Raw AWS JSON 1.1 requests, for what the SDK would never send.</summary>
public static class Raw
{
    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(Uri endpoint, string? target, byte[] body)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        if (target is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        }

        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
        return (response.StatusCode, json, response);
    }

    public static Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(Uri endpoint, string? target, string body) =>
        PostAsync(endpoint, target, Encoding.UTF8.GetBytes(body));
}
