using Amazon.KeyManagementService;
using Amazon.Runtime;

namespace KmsConsole.LocalKms.Tests.External.Endpoints;

/// <summary>One KMS endpoint the external checks run against: our local endpoint or moto_server.</summary>
public sealed class KmsTarget : IDisposable
{
    public const string Local = "local";
    public const string Moto = "moto";

    public KmsTarget(string name, Uri endpoint)
    {
        Name = name;
        Endpoint = endpoint;
        Kms = CreateClient(endpoint);
    }

    public string Name { get; }

    public Uri Endpoint { get; }

    public bool IsMoto => Name == Moto;

    /// <summary>The real AWS SDK client, signing with a test access key, no retries (a failure shows at once).</summary>
    public IAmazonKeyManagementService Kms { get; }

    public static AmazonKeyManagementServiceClient CreateClient(Uri endpoint, string accessKeyId = "AKIDLOCAL", int maxErrorRetry = 0) =>
        new(
            new BasicAWSCredentials(accessKeyId, "local-secret"),
            new AmazonKeyManagementServiceConfig
            {
                ServiceURL = endpoint.ToString(),
                AuthenticationRegion = "us-east-1",
                MaxErrorRetry = maxErrorRetry,
                Timeout = TimeSpan.FromSeconds(30),
            });

    public override string ToString() => $"{Name} ({Endpoint})";

    public void Dispose() => Kms.Dispose();
}
