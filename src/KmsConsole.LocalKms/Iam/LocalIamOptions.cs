namespace KmsConsole.LocalKms.Iam;

/// <summary>Settings of the local IAM endpoint (configuration section "LocalKms:Iam" when hosted with LocalKms).</summary>
public sealed class LocalIamOptions
{
    public const string SectionName = "LocalKms:Iam";

    /// <summary>Folder holding iam.db (the local KMS endpoint's data folder when hosted with it).</summary>
    public string DataDirectory { get; set; } = "data";

    public string AccountId { get; set; } = "111122223333";

    public string Region { get; set; } = "us-east-1";

    /// <summary>
    /// When true, <see cref="IamPolicyEnforcer"/> evaluates the caller's role policies before each KMS operation.
    /// Off by default so the endpoint behaves like an account whose callers hold every KMS permission.
    /// Read on every call: flipping it on a running endpoint takes effect on the next request.
    /// </summary>
    public bool EnforceKmsPermissions { get; set; }

    /// <summary>
    /// On a fresh iam.db, create the workshop's starting point (see <see cref="IamSeed"/>): the role
    /// KMSWorkshop-InstanceInitRole with import permissions but none of the rotation ones, acting for <see cref="SeedAccessKeys"/>.
    /// </summary>
    public bool Seed { get; set; } = true;

    /// <summary>Access key ids that act as the seeded role (the local endpoint's documented client key by default).</summary>
    public IList<string> SeedAccessKeys { get; set; } = ["AKIDLOCAL"];
}
