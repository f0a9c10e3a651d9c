using System.Collections.Concurrent;
using Amazon;
using Amazon.KeyManagementService;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Targets;

/// <summary>
/// One SDK client per target: the local endpoint through ServiceURL and static keys; AWS through a role
/// assumed with STS, a named profile, or the SDK's default credential chain.
/// </summary>
internal sealed class KmsClientFactory(IOptions<RotationOptions> options, TargetCredentials credentials) : IKmsClientFactory, IDisposable
{
    private readonly ConcurrentDictionary<string, IAmazonKeyManagementService> _clients = new(StringComparer.OrdinalIgnoreCase);

    public IAmazonKeyManagementService Create(string targetName)
    {
        var target = options.Value.RequireTarget(targetName);
        return _clients.GetOrAdd(target.Name, _ => new AmazonKeyManagementServiceClient(credentials.For(target), ConfigFor(target, options.Value.Orchestrator)));
    }

    internal static AmazonKeyManagementServiceConfig ConfigFor(KmsTarget target, OrchestratorOptions orchestrator)
    {
        var config = new AmazonKeyManagementServiceConfig
        {
            Timeout = orchestrator.RequestTimeout,
            // The orchestrator retries throttling and 5xx itself, with its own bounded, jittered backoff,
            // so each attempt is visible in the step record.
            MaxErrorRetry = 0,
        };
        if (!string.IsNullOrWhiteSpace(target.ServiceUrl))
        {
            config.ServiceURL = target.ServiceUrl;
            config.AuthenticationRegion = target.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(target.Region);
        }

        return config;
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
