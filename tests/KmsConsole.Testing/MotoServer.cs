using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace KmsConsole.Testing;

/// <summary>
/// moto_server on a free loopback port: an AWS emulator we did not write, used to check that our tests (and our
/// endpoints) agree with an independent implementation of KMS and IAM.
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    /// <summary>moto's fixed account id.</summary>
    public const string AccountId = "123456789012";

    private readonly ChildServer _server;

    public int ProcessId => _server.ProcessId;

    private MotoServer(ChildServer server, Uri endpoint)
    {
        _server = server;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public string Log => _server.Log;

    /// <summary>moto_server from MOTO_SERVER, PATH or pyenv's shims; null (the caller skips) when not installed.</summary>
    public static string? Locate() =>
        Environment.GetEnvironmentVariable("MOTO_SERVER") is { Length: > 0 } configured && File.Exists(configured)
            ? configured
            : ExternalTool.Find("moto_server");

    /// <summary>Starts moto_server on 127.0.0.1 and waits until it answers a KMS call.</summary>
    public static async Task<MotoServer> StartAsync(string executable, TimeSpan? startTimeout = null, CancellationToken cancellationToken = default)
    {
        var port = LoopbackPorts.Free()[0];
        var start = new ProcessStartInfo(executable) { ArgumentList = { "-H", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) } };
        var moto = new MotoServer(ChildServer.Start("moto_server", start), new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await moto._server.WaitUntilAnsweringAsync(ct => moto.AnswersListKeysAsync(http, ct), startTimeout ?? TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await moto.DisposeAsync();
            throw;
        }

        return moto;
    }

    private async Task<bool> AnswersListKeysAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = new StringContent("{}", Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Target", "TrentService.ListKeys");
        // moto reads the region from the credential scope of the Authorization header.
        request.Headers.TryAddWithoutValidation("Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDPROBE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00");
        using var response = await http.SendAsync(request, cancellationToken);
        return response.StatusCode == HttpStatusCode.OK;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
