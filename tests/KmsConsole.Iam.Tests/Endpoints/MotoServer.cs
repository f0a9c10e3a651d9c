using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KmsConsole.Iam.Tests.Endpoints;

/// <summary>moto_server started as a child process on a free loopback port, killed (by its own process id) on dispose.</summary>
public sealed class MotoServer : IDisposable
{
    private readonly Process _process;

    private MotoServer(Process process, Uri endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>moto's fixed account id.</summary>
    public const string AccountId = "123456789012";

    public static string? Locate()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("MOTO_SERVER") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        candidates.Add("/root/.pyenv/shims/moto_server");
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "moto_server")));
        return candidates.FirstOrDefault(File.Exists);
    }

    public static async Task<MotoServer> StartAsync(string executable)
    {
        var port = FreePort();
        var info = new ProcessStartInfo(executable)
        {
            ArgumentList = { "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{executable} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"moto_server exited with code {process.ExitCode} before listening");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return new MotoServer(process, new Uri($"http://127.0.0.1:{port}/"));
            }
            catch (SocketException)
            {
                await Task.Delay(200);
            }
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        throw new TimeoutException("moto_server did not listen within 60 s");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
