using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;

namespace KmsConsole.Rotation.Targets;

/// <summary>
/// The AWS credentials of each target — static keys, a named profile or the SDK's default chain, and a role
/// assumed through STS on top — plus those that apply its policy grants. One object per target, shared by its
/// KMS and IAM clients, so an assumed role is assumed and refreshed once per target rather than once per client.
/// </summary>
internal sealed class TargetCredentials
{
    private readonly ConcurrentDictionary<string, AWSCredentials> _runner = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, AWSCredentials> _grants = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The credentials runs execute with.</summary>
    public AWSCredentials For(KmsTarget target) => _runner.GetOrAdd(target.Name, _ => Build(target));

    /// <summary>The credentials that apply policy grants: the target's own unless it names grant credentials.</summary>
    public AWSCredentials ForGrants(KmsTarget target) =>
        target.HasGrantCredentials ? _grants.GetOrAdd(target.Name, _ => BuildForGrants(target)) : For(target);

    internal static AWSCredentials Build(KmsTarget target)
    {
        var baseCredentials = BaseCredentials(target, target.AccessKeyId, target.SecretAccessKey, target.Profile);
        return string.IsNullOrWhiteSpace(target.RoleArn)
            ? baseCredentials
            : new AssumeRoleAWSCredentials(baseCredentials, target.RoleArn, $"kmsconsole-{target.Name}", new AssumeRoleAWSCredentialsOptions());
    }

    /// <summary>The grant keys or profile (else the target's base credentials), assuming <see cref="KmsTarget.GrantRoleArn"/> when set.</summary>
    internal static AWSCredentials BuildForGrants(KmsTarget target)
    {
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
}
