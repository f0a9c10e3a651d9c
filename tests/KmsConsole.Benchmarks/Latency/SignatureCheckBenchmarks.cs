using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using BenchmarkDotNet.Attributes;
using KmsConsole.Benchmarks.Targets;
using KmsConsole.LocalKms.Hosting;
using KmsConsole.LocalKms.Protocol;
using KmsConsole.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Benchmarks.Latency;

/// <summary>
/// What checking a request's SigV4 signature costs the local endpoint, without the network, Kestrel or the client in
/// the measurement: the endpoint's own handler answers one DescribeKey request exactly as the AWS SDK for .NET signed and
/// sent it (captured from a real call), once with the signature checked against the registered secret and once with
/// <c>LocalKms:Authentication:AnyCredentials</c> (not checked), and the check alone. The signature's clock is held at
/// the moment the SDK signed, so the captured request stays within AWS's 5 minutes for as long as the benchmark runs.
/// </summary>
[MemoryDiagnoser]
public class SignatureCheckBenchmarks
{
    private DirectoryInfo? _checkedData;
    private DirectoryInfo? _uncheckedData;
    private ServiceProvider? _checkedServices;
    private ServiceProvider? _uncheckedServices;
    private KmsRequestHandler? _checking;
    private KmsRequestHandler? _notChecking;
    private SignatureV4? _signatures;
    private CapturedRequest? _describeKey;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _checkedData = Directory.CreateTempSubdirectory("kms-bench-sigv4-");
        await using (var server = await InProcessLocalKms.StartAsync(_checkedData.FullName))
        {
            var recorder = new RecordingHandler();
            using var client = new AmazonKeyManagementServiceClient(
                new BasicAWSCredentials(BenchmarkTarget.AccessKeyId, BenchmarkTarget.SecretAccessKey),
                new AmazonKeyManagementServiceConfig
                {
                    ServiceURL = server.Endpoint.ToString(),
                    AuthenticationRegion = "us-east-1",
                    MaxErrorRetry = 0,
                    HttpClientFactory = new HandlerHttpClientFactory(recorder),
                });
            var key = await client.CreateKeyAsync(new CreateKeyRequest { Description = "signature benchmark key" });
            await client.DescribeKeyAsync(new DescribeKeyRequest { KeyId = key.KeyMetadata.KeyId });
            _describeKey = recorder.Last ?? throw new InvalidOperationException("The SDK's DescribeKey request was not captured.");
        }

        // The same key for both handlers, each over its own copy of the data folder.
        _uncheckedData = Directory.CreateTempSubdirectory("kms-bench-sigv4-unchecked-");
        foreach (var file in _checkedData.GetFiles())
        {
            file.CopyTo(Path.Combine(_uncheckedData.FullName, file.Name));
        }

        var signedAt = _describeKey.SignedAt;
        (_checkedServices, _checking) = Handler(_checkedData.FullName, anyCredentials: false, signedAt);
        (_uncheckedServices, _notChecking) = Handler(_uncheckedData.FullName, anyCredentials: true, signedAt);
        _signatures = _checkedServices.GetRequiredService<SignatureV4>();

        // Both must answer the request as AWS would (200 with the key), or the figures compare two error paths.
        foreach (var handler in new[] { _checking, _notChecking })
        {
            var http = _describeKey.ToContext();
            using var answer = new MemoryStream();
            http.Response.Body = answer;
            await handler.HandleAsync(http);
            if (http.Response.StatusCode != StatusCodes.Status200OK)
            {
                throw new InvalidOperationException(
                    $"The captured DescribeKey was answered {http.Response.StatusCode}, not 200: {System.Text.Encoding.UTF8.GetString(answer.ToArray())}");
            }
        }
    }

    private static (ServiceProvider Services, KmsRequestHandler Handler) Handler(string dataDirectory, bool anyCredentials, DateTimeOffset signedAt)
    {
        var services = new ServiceCollection().AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        // Registered before AddLocalKms, which adds its own only when none is there.
        services.AddSingleton(sp => new SignatureV4(sp.GetRequiredService<LocalKmsOptions>().Authentication, new HeldClock(signedAt)));
        services.AddLocalKms(options =>
        {
            options.DataDirectory = dataDirectory;
            options.Seed = false;
            options.Authentication.Credentials[BenchmarkTarget.AccessKeyId] = BenchmarkTarget.SecretAccessKey;
            options.Authentication.AnyCredentials = anyCredentials;
        });
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<KmsRequestHandler>());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _checkedServices?.Dispose();
        _uncheckedServices?.Dispose();
        foreach (var folder in new[] { _checkedData, _uncheckedData })
        {
            try
            {
                folder?.Delete(recursive: true);
            }
            catch (IOException)
            {
                // a file still held: leave it to the temp cleaner
            }
        }
    }

    [Benchmark(Baseline = true, Description = "DescribeKey, signature not checked (AnyCredentials)")]
    public Task DescribeKeyNotChecked() => _notChecking!.HandleAsync(_describeKey!.ToContext());

    [Benchmark(Description = "DescribeKey, signature checked")]
    public Task DescribeKeyChecked() => _checking!.HandleAsync(_describeKey!.ToContext());

    [Benchmark(Description = "the signature check alone")]
    public void SignatureCheckAlone()
    {
        var http = _describeKey!.ToContext();
        _signatures!.Verify(http.Request, _describeKey.Body);
    }

    /// <summary>One request as the SDK sent it: its headers and body.</summary>
    private sealed record CapturedRequest(string Path, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, DateTimeOffset SignedAt)
    {
        public DefaultHttpContext ToContext()
        {
            var http = new DefaultHttpContext();
            http.Request.Method = HttpMethods.Post;
            http.Request.Path = Path;
            foreach (var (name, value) in Headers)
            {
                http.Request.Headers.Append(name, value);
            }

            http.Request.ContentLength = Body.Length;
            http.Request.Body = new MemoryStream(Body, writable: false);
            http.Response.Body = Stream.Null;
            return http;
        }
    }

    private sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public CapturedRequest? Last { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            byte[] body = [];
            if (request.Content is not null)
            {
                // Buffered, so the content is sent after it was read here.
                await request.Content.LoadIntoBufferAsync(cancellationToken);
                body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            }

            var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
                .SelectMany(h => h.Value.Select(v => KeyValuePair.Create(h.Key, v)))
                .ToList();
            if (!headers.Any(h => h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
            {
                headers.Add(KeyValuePair.Create("Host", request.RequestUri!.Authority));
            }

            var amzDate = headers.First(h => h.Key.Equals("X-Amz-Date", StringComparison.OrdinalIgnoreCase)).Value;
            var signedAt = DateTimeOffset.ParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal);
            Last = new CapturedRequest(request.RequestUri!.AbsolutePath, headers, body, signedAt);
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A wall clock held at one moment.</summary>
    private sealed class HeldClock(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }
}
