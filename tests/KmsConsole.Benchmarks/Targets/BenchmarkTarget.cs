using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.Testing;

namespace KmsConsole.Benchmarks.Targets;

/// <summary>How the local endpoint runs during a benchmark.</summary>
public enum LocalHosting
{
    /// <summary>Its own process (`dotnet KmsConsole.LocalKms.dll`), like moto_server: the fair comparison.</summary>
    Process,

    /// <summary>Kestrel inside the benchmark process (LocalKmsServer.StartAsync); client and server share one runtime.</summary>
    InProcess,
}

/// <summary>
/// A KMS endpoint on loopback that the benchmark drives, with one symmetric key and one
/// ciphertext of it, an ECC_NIST_P256 signing key and an HMAC_256 key made ready before measuring.
/// </summary>
public sealed class BenchmarkTarget : IAsyncDisposable
{
    /// <summary>The benchmark's credentials, registered with the local endpoint so its SigV4 check passes.</summary>
    public const string AccessKeyId = "AKIDBENCH";

    public const string SecretAccessKey = "bench-secret";

    private readonly Func<ValueTask> _stop;

    private BenchmarkTarget(string name, Uri endpoint, Func<ValueTask> stop, int? serverProcessId = null)
    {
        Name = name;
        Endpoint = endpoint;
        _stop = stop;
        ServerProcessId = serverProcessId;
    }

    /// <summary>The endpoint's own process, whose CPU time per request the load run reports; null when it runs in this one.</summary>
    public int? ServerProcessId { get; }

    public string Name { get; }

    public Uri Endpoint { get; }

    public string KeyId { get; private set; } = string.Empty;

    public byte[] Ciphertext { get; private set; } = [];

    public string SigningKeyId { get; private set; } = string.Empty;

    public string MacKeyId { get; private set; } = string.Empty;

    public static readonly byte[] Plaintext = "32 bytes of benchmark plaintext!"u8.ToArray();

    public static AmazonKeyManagementServiceClient CreateClient(Uri endpoint) =>
        new(
            new BasicAWSCredentials(AccessKeyId, SecretAccessKey),
            new AmazonKeyManagementServiceConfig
            {
                ServiceURL = endpoint.ToString(),
                AuthenticationRegion = "us-east-1",
                // A failed call counts as an error; a retry would hide it and skew the rate.
                MaxErrorRetry = 0,
                Timeout = TimeSpan.FromSeconds(30),
            });

    public static async Task<BenchmarkTarget> StartMotoAsync()
    {
        var path = MotoServer.Locate()
            ?? throw new InvalidOperationException("moto_server is not installed (pip install 'moto[server]').");
        var moto = await MotoServer.StartAsync(path);
        return await PrepareAsync(new BenchmarkTarget("moto", moto.Endpoint, moto.DisposeAsync, moto.ProcessId));
    }

    public static async Task<BenchmarkTarget> StartLocalAsync(LocalHosting hosting)
    {
        var data = Directory.CreateTempSubdirectory("kms-bench-");
        ValueTask DeleteData()
        {
            try
            {
                data.Delete(recursive: true);
            }
            catch (IOException)
            {
                // a file still held by an exiting process: leave it to the temp cleaner
            }

            return ValueTask.CompletedTask;
        }

        if (hosting == LocalHosting.InProcess)
        {
            var server = await InProcessLocalKms.StartAsync(data.FullName);
            return await PrepareAsync(new BenchmarkTarget("local (in-process)", server.Endpoint, async () =>
            {
                await server.DisposeAsync();
                await DeleteData();
            }));
        }

        // Request logging at Information would measure the console, not the endpoint.
        var process = await LocalKmsProcess.StartAsync(data.FullName, seed: false, new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // The endpoint checks signatures (set LocalKms__Authentication__AnyCredentials=true to measure without).
            [$"LocalKms__Authentication__Credentials__{AccessKeyId}"] = SecretAccessKey,
        });
        return await PrepareAsync(new BenchmarkTarget("local (own process)", process.Endpoint, async () =>
        {
            await process.DisposeAsync();
            await DeleteData();
        }, process.ProcessId));
    }

    private static async Task<BenchmarkTarget> PrepareAsync(BenchmarkTarget target)
    {
        try
        {
            using var client = CreateClient(target.Endpoint);
            var key = await client.CreateKeyAsync(new CreateKeyRequest { Description = "benchmark key" });
            target.KeyId = key.KeyMetadata.KeyId;
            var encrypted = await client.EncryptAsync(new EncryptRequest { KeyId = target.KeyId, Plaintext = new MemoryStream(Plaintext) });
            target.Ciphertext = encrypted.CiphertextBlob.ToArray();
            var signing = await client.CreateKeyAsync(new CreateKeyRequest { Description = "benchmark signing key", KeySpec = KeySpec.ECC_NIST_P256, KeyUsage = KeyUsageType.SIGN_VERIFY });
            target.SigningKeyId = signing.KeyMetadata.KeyId;
            var hmac = await client.CreateKeyAsync(new CreateKeyRequest { Description = "benchmark HMAC key", KeySpec = KeySpec.HMAC_256, KeyUsage = KeyUsageType.GENERATE_VERIFY_MAC });
            target.MacKeyId = hmac.KeyMetadata.KeyId;
            return target;
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _stop();
}
