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
}

/// <summary>The SDK's own client per target; the SDK interface is the seam to KMS.</summary>
public interface IKmsClientFactory
{
    IAmazonKeyManagementService Create(string targetName);
}
