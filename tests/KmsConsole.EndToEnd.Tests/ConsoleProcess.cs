using System.Diagnostics;
using System.Net;
using KmsConsole.Testing;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// The console started as a user starts it: <c>dotnet KmsConsole.Web.dll</c> in its own process, with a
/// temp working directory (so its SQLite database and the local KMS data land there), listening on a
/// free loopback port and hosting the local KMS on another.
/// </summary>
public sealed class ConsoleProcess : IAsyncDisposable
{
    private readonly ChildServer _server;

    private ConsoleProcess(ChildServer server, Uri baseAddress, string workingDirectory, Uri localKms)
    {
        _server = server;
        BaseAddress = baseAddress;
        WorkingDirectory = workingDirectory;
        LocalKmsEndpoint = localKms;
    }

    public Uri BaseAddress { get; }

    public Uri LocalKmsEndpoint { get; }

    public string WorkingDirectory { get; }

    public string Output => _server.Log;

    /// <summary>The console's process id (e.g. to kill it as a crash would, with no graceful stop).</summary>
    public int ProcessId => _server.ProcessId;

    public static Task<ConsoleProcess> StartAsync(params string[] extraArguments) => StartAsync(Repository.WebAssemblyPath(), extraArguments);

    /// <summary>Starts the console of <paramref name="assemblyPath"/> (e.g. a published copy) from a temp working directory.</summary>
    public static Task<ConsoleProcess> StartAsync(string assemblyPath, string[] extraArguments) => StartAsync(assemblyPath, extraArguments, new Dictionary<string, string>());

    /// <summary>
    /// Starts the console with <paramref name="environment"/> added to its environment (e.g. OTEL_* variables), listening
    /// also on <paramref name="alsoListenOn"/>.
    /// </summary>
    public static async Task<ConsoleProcess> StartAsync(string assemblyPath, string[] extraArguments, IReadOnlyDictionary<string, string> environment,
        params Uri[] alsoListenOn)
    {
        var workingDirectory = Directory.CreateTempSubdirectory("kmsconsole-e2e-").FullName;
        var ports = LoopbackPorts.Free(2);
        var baseAddress = new Uri($"http://127.0.0.1:{ports[0]}/");
        var localKms = new Uri($"http://127.0.0.1:{ports[1]}/");

        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            ArgumentList =
            {
                assemblyPath,
                "--urls", string.Join(';', alsoListenOn.Prepend(baseAddress).Select(u => u.ToString().TrimEnd('/'))),
                $"--Console:LocalKmsUrl={localKms.ToString().TrimEnd('/')}",
            },
        };
        foreach (var argument in extraArguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("ASPNETCORE_URLS");
        startInfo.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        var console = new ConsoleProcess(ChildServer.Start("the console", startInfo), baseAddress, workingDirectory, localKms);
        try
        {
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
            await console._server.WaitUntilAnsweringAsync(async ct =>
            {
                using var response = await http.GetAsync(new Uri(baseAddress, "signin"), ct);
                return response.StatusCode == HttpStatusCode.OK;
            }, TimeSpan.FromSeconds(120));
        }
        catch
        {
            await console.DisposeAsync();
            throw;
        }

        return console;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
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
