using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// The console started as a user starts it: <c>dotnet KmsConsole.Web.dll</c> in its own process, with a
/// temp working directory (so its SQLite database and the local KMS data land there), listening on a
/// free loopback port and hosting the local KMS on another.
/// </summary>
public sealed class ConsoleProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ConsoleProcess(Process process, Uri baseAddress, string workingDirectory, Uri localKms)
    {
        this.process = process;
        BaseAddress = baseAddress;
        WorkingDirectory = workingDirectory;
        LocalKmsEndpoint = localKms;
    }

    public Uri BaseAddress { get; }

    public Uri LocalKmsEndpoint { get; }

    public string WorkingDirectory { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static async Task<ConsoleProcess> StartAsync(params string[] extraArguments)
    {
        var dll = Repository.WebAssemblyPath();
        var workingDirectory = Directory.CreateTempSubdirectory("kmsconsole-e2e-").FullName;
        var (port, kmsPort) = TwoFreeLoopbackPorts();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var localKms = new Uri($"http://127.0.0.1:{kmsPort}/");

        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(dll);
        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        startInfo.ArgumentList.Add($"--Console:LocalKmsUrl={localKms.ToString().TrimEnd('/')}");
        foreach (var argument in extraArguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("ASPNETCORE_URLS");
        startInfo.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var console = new ConsoleProcess(process, baseAddress, workingDirectory, localKms);
        process.OutputDataReceived += (_, e) => console.Append(e.Data);
        process.ErrorDataReceived += (_, e) => console.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await console.WaitUntilServingAsync(TimeSpan.FromSeconds(120));
        return console;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private async Task WaitUntilServingAsync(TimeSpan timeout)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The console exited with code {process.ExitCode} before serving {BaseAddress}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "signin"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Still starting.
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The console did not serve {BaseAddress} within {timeout}:\n{Output}");
    }

    // Both listeners stay open until both ports are read: a port released after the first pick
    // could otherwise be handed out again for the second, and the console would collide with itself.
    private static (int Console, int LocalKms) TwoFreeLoopbackPorts()
    {
        using var first = new TcpListener(IPAddress.Loopback, 0);
        using var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        try
        {
            Directory.Delete(WorkingDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying child; the temp folder is cleaned by the OS later.
        }
    }
}
