using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KmsConsole.LocalKms.Tests.External.Endpoints;

/// <summary>
/// The local KMS endpoint run standalone, as the README documents it
/// (`KmsConsole.LocalKms --urls http://127.0.0.1:PORT --data DIR [--no-seed]`), from the build output.
/// </summary>
public sealed class LocalKmsProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private LocalKmsProcess(Process process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    public static async Task<LocalKmsProcess> StartAsync(string dataDirectory, bool seed)
    {
        var port = FreeLoopbackPort();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var arguments = new List<string>
        {
            Path.Combine(AppContext.BaseDirectory, "KmsConsole.LocalKms.dll"),
            "--urls", $"http://127.0.0.1:{port}",
            "--data", dataDirectory,
        };
        if (!seed)
        {
            arguments.Add("--no-seed");
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var server = new LocalKmsProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilAnsweringAsync(TimeSpan.FromSeconds(60));
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
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout)
    {
        using var kms = KmsTarget.CreateClient(Endpoint);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the local endpoint exited with code {_process.ExitCode} before answering:\n{Log}");
            }

            try
            {
                await kms.ListKeysAsync(new Amazon.KeyManagementService.Model.ListKeysRequest { Limit = 1 });
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException)
            {
                if (clock.Elapsed > timeout)
                {
                    throw new TimeoutException($"the local endpoint did not answer on {Endpoint} within {timeout}:\n{Log}", ex);
                }

                await Task.Delay(200);
            }
        }
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
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
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
