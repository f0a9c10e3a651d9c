using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Amazon.KeyManagementService.Model;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KmsConsole.LocalKms.Tests.Protocol;

/// <summary>
/// Requests broken on the wire (raw sockets): a body shorter than its Content-Length, a client that goes away, a stalled
/// upload, malformed JSON and members of the wrong JSON type. Each gets a 400 SerializationException or a closed
/// connection, never a 500, nothing is logged as an internal failure, nothing changes and the endpoint keeps serving.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly CapturedLogs _logs = new();
    private LocalKmsServer _server = null!;
    private string _dataDirectory = "";

    public async Task InitializeAsync()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "localkms-tests", Guid.NewGuid().ToString("N"));
        var options = new LocalKmsOptions { DataDirectory = _dataDirectory, Seed = false, RequestBodyTimeout = TimeSpan.FromSeconds(1) };
        _server = await LocalKmsServer.StartAsync(options, "http://127.0.0.1:0", null, services => services.AddSingleton<ILoggerProvider>(_logs), null);
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Fact]
    public async Task A_body_shorter_than_its_Content_Length_is_a_SerializationException_or_a_closed_connection()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(Head("TrentService.CreateKey", contentLength: 100));
        await stream.WriteAsync(Encoding.ASCII.GetBytes("{\"Description\":\"x\"}"));
        client.Client.Shutdown(SocketShutdown.Send);

        var answer = await ReadToEndAsync(stream);

        AssertSerializationExceptionOrClosed(answer);
        await AssertUnchangedAndServingAsync();
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_body_leaves_nothing_logged_and_nothing_changed()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var client = await ConnectAsync();
            var stream = client.GetStream();
            await stream.WriteAsync(Head("TrentService.CreateKey", contentLength: 4096));
            await stream.WriteAsync(Encoding.ASCII.GetBytes("{\"Description\":\"gone"));
            client.Client.LingerState = new LingerOption(true, 0);
            client.Close();
        }

        await Task.Delay(200);
        await AssertUnchangedAndServingAsync();
    }

    [Fact]
    public async Task A_stalled_upload_is_answered_or_closed_within_the_body_timeout()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(Head("TrentService.CreateKey", contentLength: 100));
        await stream.WriteAsync(Encoding.ASCII.GetBytes("{\"Description\":"));

        var answer = await ReadToEndAsync(stream);

        AssertSerializationExceptionOrClosed(answer);
        await AssertUnchangedAndServingAsync();
    }

    [Theory]
    [InlineData("TrentService.CreateKey", "{\"Description\":\"a\",}")]
    [InlineData("TrentService.CreateKey", "{\"Description\":\"\\ud800\"")]
    [InlineData("TrentService.CreateKey", "\"just a string\"")]
    [InlineData("TrentService.CreateKey", "{\"Tags\":\"not a list\"}")]
    [InlineData("TrentService.CreateKey", "{\"Tags\":[{\"TagKey\":1,\"TagValue\":\"v\"}]}")]
    [InlineData("TrentService.CreateKey", "{\"MultiRegion\":\"yes\"}")]
    [InlineData("TrentService.CreateKey", "{\"KeyUsage\":[\"ENCRYPT_DECRYPT\"]}")]
    [InlineData("TrentService.GenerateRandom", "{\"NumberOfBytes\":1e400}")]
    [InlineData("TrentService.GenerateRandom", "{\"NumberOfBytes\":99999999999}")]
    [InlineData("TrentService.GenerateRandom", "{\"NumberOfBytes\":1.5}")]
    [InlineData("TrentService.GenerateRandom", "{\"NumberOfBytes\":\"16\"}")]
    [InlineData("TrentService.ListKeys", "{\"Limit\":{}}")]
    [InlineData("TrentService.ListKeys", "{\"Marker\":42}")]
    [InlineData("TrentService.Encrypt", "{\"KeyId\":\"alias/x\",\"Plaintext\":[1,2]}")]
    [InlineData("TrentService.Encrypt", "{\"KeyId\":\"alias/x\",\"Plaintext\":\"AA==\",\"EncryptionContext\":{\"a\":1}}")]
    [InlineData("TrentService.Encrypt", "{\"KeyId\":\"alias/x\",\"Plaintext\":\"AA==\",\"GrantTokens\":\"t\"}")]
    [InlineData("TrentService.ImportKeyMaterial", "{\"KeyId\":\"alias/x\",\"ImportToken\":\"AA==\",\"EncryptedKeyMaterial\":\"AA==\",\"ValidTo\":1e300}")]
    [InlineData("TrentService.ImportKeyMaterial", "{\"KeyId\":\"alias/x\",\"ImportToken\":\"AA==\",\"EncryptedKeyMaterial\":\"AA==\",\"ValidTo\":-1e300}")]
    [InlineData("TrentService.ImportKeyMaterial", "{\"KeyId\":\"alias/x\",\"ImportToken\":\"AA==\",\"EncryptedKeyMaterial\":\"AA==\",\"ValidTo\":\"tomorrow\"}")]
    [InlineData("TrentService.PutKeyPolicy", "{\"KeyId\":\"alias/x\",\"Policy\":{\"Statement\":[]}}")]
    public async Task Malformed_JSON_and_members_of_the_wrong_type_are_SerializationException(string target, string body)
    {
        var (status, error, _) = await Raw.PostAsync(_server.Endpoint, target, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("SerializationException", error.GetProperty("__type").GetString());
        await AssertUnchangedAndServingAsync();
    }

    [Fact]
    public async Task Deeply_nested_JSON_is_a_SerializationException()
    {
        var body = "{\"Description\":" + new string('[', 5000) + new string(']', 5000) + "}";

        var (status, error, _) = await Raw.PostAsync(_server.Endpoint, "TrentService.CreateKey", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("SerializationException", error.GetProperty("__type").GetString());
        await AssertUnchangedAndServingAsync();
    }

    private async Task AssertUnchangedAndServingAsync()
    {
        using var kms = KmsTestEndpoint.CreateClient(_server.Endpoint);
        Assert.Empty((await kms.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
        Assert.Equal(16, (await kms.GenerateRandomAsync(new GenerateRandomRequest { NumberOfBytes = 16 })).Plaintext.Length);
        Assert.DoesNotContain(_logs.Entries, entry => entry.StartsWith("Error", StringComparison.Ordinal) || entry.StartsWith("Critical", StringComparison.Ordinal));
        Assert.DoesNotContain(_logs.Entries, entry => entry.Contains("KMSInternalException", StringComparison.Ordinal));
    }

    private static void AssertSerializationExceptionOrClosed(string answer)
    {
        if (answer.Length == 0)
        {
            return;
        }

        Assert.StartsWith("HTTP/1.1 400 ", answer, StringComparison.Ordinal);
        var json = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        using var error = JsonDocument.Parse(json);
        Assert.Equal("SerializationException", error.RootElement.GetProperty("__type").GetString());
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _server.Endpoint.Port);
        return client;
    }

    /// <summary>The request line and headers of a signed-looking request (this endpoint's default accepts any credentials).</summary>
    private byte[] Head(string target, int contentLength) => Encoding.ASCII.GetBytes(
        $"POST / HTTP/1.1\r\nHost: 127.0.0.1:{_server.Endpoint.Port}\r\nContent-Type: application/x-amz-json-1.1\r\n" +
        $"X-Amz-Target: {target}\r\nX-Amz-Date: {DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}\r\n" +
        $"Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCAL/{DateTime.UtcNow:yyyyMMdd}/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00\r\n" +
        $"Content-Length: {contentLength}\r\nConnection: close\r\n\r\n");

    /// <summary>Everything the server sends until it closes the connection; bounded in time.</summary>
    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(Bound);
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
            {
                buffer.Write(chunk, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset connection is a closed one.
        }

        Assert.False(timeout.IsCancellationRequested, "The server neither answered nor closed the connection in time.");
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
