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
        var baseCredentials = BaseCredentials(target, target.AccessKeyId, target.SecretAccessKey, target.Profile);
        return string.IsNullOrWhiteSpace(target.RoleArn)
            ? baseCredentials
            : new AssumeRoleAWSCredentials(baseCredentials, target.RoleArn, $"kmsconsole-{target.Name}", new AssumeRoleAWSCredentialsOptions());
    }

    /// <summary>
    /// The credentials that apply policy grants: the grant keys or profile (else the target's base credentials),
    /// assuming <see cref="KmsTarget.GrantRoleArn"/> when set; the target's own credentials when no grant setting is made.
    /// </summary>
    internal static AWSCredentials GrantCredentialsFor(KmsTarget target)
    {
        if (!target.HasGrantCredentials)
        {
            return CredentialsFor(target);
        }

        var baseCredentials = !string.IsNullOrWhiteSpace(target.GrantAccessKeyId) || !string.IsNullOrWhiteSpace(target.GrantProfile)
            ? BaseCredentials(target, target.GrantAccessKeyId, target.GrantSecretAccessKey, target.GrantProfile)
            : BaseCredentials(target, target.AccessKeyId, target.SecretAccessKey, target.Profile);
        return string.IsNullOrWhiteSpace(target.GrantRoleArn)
            ? baseCredentials
            : new AssumeRoleAWSCredentials(baseCredentials, target.GrantRoleArn, $"kmsconsole-grants-{target.Name}", new AssumeRoleAWSCredentialsOptions());
    }

    private static AWSCredentials BaseCredentials(KmsTarget target, string? accessKeyId, string? secretAccessKey, string? profile)
    {
        if (!string.IsNullOrWhiteSpace(accessKeyId) && !string.IsNullOrWhiteSpace(secretAccessKey))
        {
            return new BasicAWSCredentials(accessKeyId, secretAccessKey);
        }

        if (!string.IsNullOrWhiteSpace(profile))
        {
            var chain = new CredentialProfileStoreChain();
            return chain.TryGetAWSCredentials(profile, out var fromProfile)
                ? fromProfile
                : throw new RotationRefusedException($"The AWS profile '{profile}' of target '{target.Name}' was not found.");
        }

        return new DefaultChainCredentials();
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
