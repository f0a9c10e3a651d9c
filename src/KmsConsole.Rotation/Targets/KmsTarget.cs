using Amazon.KeyManagementService;

namespace KmsConsole.Rotation;

/// <summary>
/// A KMS endpoint the console rotates keys on: the local endpoint (ServiceUrl + static keys) or an AWS
/// account/region (default credential chain, a named profile, or a role assumed through STS).
/// </summary>
public sealed class KmsTarget
{
    public string Name { get; set; } = "";
    public string? ServiceUrl { get; set; }
    public string Region { get; set; } = "us-east-1";
    public string? Profile { get; set; }
    public string? RoleArn { get; set; }
    public string? AccessKeyId { get; set; }
    public string? SecretAccessKey { get; set; }

    /// <summary>
    /// Whether a request checks the executing principal's IAM permissions before the run is created (on by default).
    /// The principal is <see cref="RoleArn"/> when set, otherwise whoever the target's credentials are (STS
    /// GetCallerIdentity); only roles are checked, anything else is reported as not checked.
    /// </summary>
    public bool CheckPermissions { get; set; } = true;

    /// <summary>This account and Region's request quotas by operation, where they differ from <see cref="KmsCallOptions.RequestsPerSecond"/>.</summary>
    public Dictionary<string, double> RequestsPerSecond { get; set; } = new(StringComparer.Ordinal);

    /// <summary>IAM endpoint for this target; defaults to <see cref="ServiceUrl"/> when set, else IAM's global endpoint of the region's partition.</summary>
    public string? IamServiceUrl { get; set; }

    /// <summary>
    /// A role assumed through STS only to apply approved policy grants (iam:CreatePolicy, iam:CreatePolicyVersion,
    /// iam:AttachRolePolicy), so the role that runs rotations needs no IAM write permissions. Assumed from
    /// <see cref="GrantProfile"/> or the grant access key when set, else from the target's own base credentials
    /// (its access key, profile or the default chain — not <see cref="RoleArn"/>).
    /// </summary>
    public string? GrantRoleArn { get; set; }

    /// <summary>A named AWS profile whose credentials apply grants (and assume <see cref="GrantRoleArn"/> when set).</summary>
    public string? GrantProfile { get; set; }

    /// <summary>
    /// Static keys that apply grants; meant for the local endpoint, where the access key id names the role it acts as
    /// and STS AssumeRole is not served (so <see cref="GrantRoleArn"/> cannot be used there).
    /// </summary>
    public string? GrantAccessKeyId { get; set; }

    public string? GrantSecretAccessKey { get; set; }

    /// <summary>True when grants are applied with credentials of their own rather than the target's.</summary>
    public bool HasGrantCredentials =>
        !string.IsNullOrWhiteSpace(GrantRoleArn) || !string.IsNullOrWhiteSpace(GrantProfile) || !string.IsNullOrWhiteSpace(GrantAccessKeyId);
}

/// <summary>The IAM client of a target: the same credentials as its KMS client, IAM's endpoint.</summary>
public interface IIamClientFactory
{
    Iam.IIamClient Create(string targetName);

    /// <summary>
    /// The IAM client that applies policy grants on the target: its grant credentials (<see cref="KmsTarget.GrantRoleArn"/>,
    /// <see cref="KmsTarget.GrantProfile"/>, <see cref="KmsTarget.GrantAccessKeyId"/>) when set, else the same as <see cref="Create"/>.
    /// </summary>
    Iam.IIamClient CreateForGrants(string targetName) => Create(targetName);
}

/// <summary>The SDK's own client per target; the SDK interface is the seam to KMS.</summary>
public interface IKmsClientFactory
{
    IAmazonKeyManagementService Create(string targetName);

    /// <summary>A client of the target's account in another Region (a multi-Region key's replicas); not every factory has one.</summary>
    IAmazonKeyManagementService CreateInRegion(string targetName, string region) =>
        throw new NotSupportedException($"This KMS client factory makes no clients for other Regions than the target's ({region} was asked).");
}
