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
    private readonly RequestPacing _pacing = new(options.Value.Kms);

    public IAmazonKeyManagementService Create(string targetName)
    {
        var target = options.Value.RequireTarget(targetName);
        return _clients.GetOrAdd(target.Name, _ =>
            new TargetKmsClient(credentials.For(target), ConfigFor(target, options.Value.Orchestrator, options.Value.Kms), options.Value.Kms, _pacing.For(target),
                new KmsCallTelemetry(target.Name, target.Region)));
    }

    /// <summary>The same account and credentials in <paramref name="region"/>, paced by that Region's own quotas.</summary>
    public IAmazonKeyManagementService CreateInRegion(string targetName, string region)
    {
        var target = options.Value.RequireTarget(targetName);
        if (string.Equals(region, target.Region, StringComparison.Ordinal))
        {
            return Create(targetName);
        }

        return _clients.GetOrAdd($"{target.Name}|{region}", _ =>
        {
            var config = ConfigFor(target, options.Value.Orchestrator, options.Value.Kms);
            if (config.ServiceURL is not null)
            {
                config.AuthenticationRegion = region;
            }
            else
            {
                config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
            }

            var paced = new KmsTarget { Name = target.Name, Region = region, RequestsPerSecond = target.RequestsPerSecond };
            return new TargetKmsClient(credentials.For(target), config, options.Value.Kms, _pacing.For(paced), new KmsCallTelemetry(target.Name, region));
        });
    }

    internal static AmazonKeyManagementServiceConfig ConfigFor(KmsTarget target, OrchestratorOptions orchestrator, KmsCallOptions calls)
    {
        var config = new AmazonKeyManagementServiceConfig
        {
            Timeout = orchestrator.RequestTimeout,
            // Each call retries throttling, 5xx and timeouts on its own budget (KmsRetryPolicy), so a step of several
            // calls fails only when one call exhausts its budget; the orchestrator's step attempts come on top.
            RetryMode = Amazon.Runtime.RequestRetryMode.Standard,
            MaxErrorRetry = calls.MaxRetries,
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

        _pacing.Dispose();
    }
}
