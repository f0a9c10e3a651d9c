using System.Diagnostics;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;

namespace KmsConsole.Testing;

/// <summary>
/// The local KMS endpoint run standalone, as the README documents it
/// (`KmsConsole.LocalKms --urls http://127.0.0.1:PORT --data DIR [--no-seed]`), from the caller's build output.
/// </summary>
public sealed class LocalKmsProcess : IAsyncDisposable
{
    private readonly ChildServer _server;

    private LocalKmsProcess(ChildServer server, Uri endpoint)
    {
        _server = server;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public string Log => _server.Log;

    public int ProcessId => _server.ProcessId;

    /// <param name="environment">Extra environment variables, e.g. a quieter log level for a benchmark.</param>
    /// <param name="arguments">Extra command-line arguments, e.g. --LocalKms:AccountId=444455556666.</param>
    public static async Task<LocalKmsProcess> StartAsync(
        string dataDirectory, bool seed, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? arguments = null)
    {
        var port = LoopbackPorts.Free()[0];
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "KmsConsole.LocalKms.dll"),
                "--urls", $"http://127.0.0.1:{port}",
                "--data", dataDirectory,
            },
        };
        if (!seed)
        {
            start.ArgumentList.Add("--no-seed");
        }

        foreach (var argument in arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var endpoint = new LocalKmsProcess(ChildServer.Start("the local endpoint", start), new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            using var kms = new AmazonKeyManagementServiceClient(
                new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
                new AmazonKeyManagementServiceConfig { ServiceURL = endpoint.Endpoint.ToString(), AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
            await endpoint._server.WaitUntilAnsweringAsync(async ct =>
            {
                try
                {
                    await kms.ListKeysAsync(new ListKeysRequest { Limit = 1 }, ct);
                    return true;
                }
                catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60));
        }
        catch
        {
            await endpoint.DisposeAsync();
            throw;
        }

        return endpoint;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
