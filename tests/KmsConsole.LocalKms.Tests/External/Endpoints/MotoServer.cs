using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KmsConsole.LocalKms.Tests.External.Endpoints;

/// <summary>
/// A moto_server child process on a free loopback port: a KMS we did not write, used to check
/// that our tests (and our endpoint) agree with an independent implementation.
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private MotoServer(Process process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>What moto printed so far (for failure messages).</summary>
    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    /// <summary>Starts moto_server on 127.0.0.1 and waits until it answers a KMS call.</summary>
    public static async Task<MotoServer> StartAsync(string motoServerPath, TimeSpan? startTimeout = null, CancellationToken cancellationToken = default)
    {
        var port = FreeLoopbackPort();
        var start = new ProcessStartInfo(motoServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var server = new MotoServer(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server.WaitUntilAnsweringAsync(startTimeout ?? TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            // moto logs one line per request; keep only the tail so a benchmark does not grow memory.
            if (_log.Length > 64 * 1024)
            {
                _log.Remove(0, _log.Length - 32 * 1024);
            }

            _log.AppendLine(line);
        }
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"moto_server exited with code {_process.ExitCode} before answering:\n{Log}");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint)
                {
                    Content = new StringContent("{}", Encoding.UTF8),
                };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.1");
                request.Headers.Add("X-Amz-Target", "TrentService.ListKeys");
                // moto reads the region from the credential scope of the Authorization header.
                request.Headers.TryAddWithoutValidation(
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDPROBE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00");
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // slow first answer while Python imports
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"moto_server did not answer on {Endpoint} within {timeout}:\n{Log}");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(wait.Token);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // already gone
        }
        finally
        {
            _process.Dispose();
        }
    }
}
