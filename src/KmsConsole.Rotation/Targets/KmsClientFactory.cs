using System.Collections.Concurrent;
using Amazon;
using Amazon.KeyManagementService;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using Amazon.SecurityToken;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Targets;

/// <summary>
/// One SDK client per target: the local endpoint through ServiceURL and static keys; AWS through a role
/// assumed with STS, a named profile, or the SDK's default credential chain.
/// </summary>
internal sealed class KmsClientFactory(IOptions<RotationOptions> options) : IKmsClientFactory, IDisposable
{
    private readonly ConcurrentDictionary<string, IAmazonKeyManagementService> _clients = new(StringComparer.OrdinalIgnoreCase);

    public IAmazonKeyManagementService Create(string targetName)
    {
        var target = options.Value.FindTarget(targetName)
            ?? throw new RotationRefusedException($"No KMS target named '{targetName}' is configured (Rotation:Targets).");
        return _clients.GetOrAdd(target.Name, _ => Build(target, options.Value.Orchestrator));
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

    internal static AWSCredentials CredentialsFor(KmsTarget target)
    {
        AWSCredentials? baseCredentials = null;
        if (!string.IsNullOrWhiteSpace(target.AccessKeyId) && !string.IsNullOrWhiteSpace(target.SecretAccessKey))
        {
            baseCredentials = new BasicAWSCredentials(target.AccessKeyId, target.SecretAccessKey);
        }
        else if (!string.IsNullOrWhiteSpace(target.Profile))
        {
            var chain = new CredentialProfileStoreChain();
            if (!chain.TryGetAWSCredentials(target.Profile, out baseCredentials))
            {
                throw new RotationRefusedException($"The AWS profile '{target.Profile}' of target '{target.Name}' was not found.");
            }
        }

        baseCredentials ??= new DefaultChainCredentials();
        if (!string.IsNullOrWhiteSpace(target.RoleArn))
        {
            return new AssumeRoleAWSCredentials(baseCredentials, target.RoleArn, $"kmsconsole-{target.Name}",
                new AssumeRoleAWSCredentialsOptions());
        }

        return baseCredentials;
    }

    /// <summary>
    /// The SDK's default credential chain (environment, shared files, SSO, container or instance role), resolved
    /// at the first call rather than at start, so a console whose AWS credentials arrive later still starts.
    /// </summary>
    private sealed class DefaultChainCredentials : AWSCredentials
    {
        private readonly Lazy<AWSCredentials> _resolved = new(() => DefaultAWSCredentialsIdentityResolver.GetCredentials());

        public override ImmutableCredentials GetCredentials() => _resolved.Value.GetCredentials();

        public override Task<ImmutableCredentials> GetCredentialsAsync() => _resolved.Value.GetCredentialsAsync();
    }

    private static IAmazonKeyManagementService Build(KmsTarget target, OrchestratorOptions orchestrator) =>
        new AmazonKeyManagementServiceClient(CredentialsFor(target), ConfigFor(target, orchestrator));

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
