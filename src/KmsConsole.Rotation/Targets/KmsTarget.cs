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

    /// <summary>IAM endpoint for this target; defaults to <see cref="ServiceUrl"/> when set, else IAM's global endpoint of the region's partition.</summary>
    public string? IamServiceUrl { get; set; }
}

/// <summary>The IAM client of a target: the same credentials as its KMS client, IAM's endpoint.</summary>
public interface IIamClientFactory
{
    Iam.IIamClient Create(string targetName);
}

/// <summary>The SDK's own client per target; the SDK interface is the seam to KMS.</summary>
public interface IKmsClientFactory
{
    IAmazonKeyManagementService Create(string targetName);
}
