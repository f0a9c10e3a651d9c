namespace KmsConsole.Rotation.Iam;

/// <summary>
/// The few IAM calls KmsConsole needs. AWSSDK.IdentityManagement is not served by the package registry
/// here, so <see cref="IamQueryClient"/> implements them on AWSSDK.Core; an adapter over the official
/// <c>IAmazonIdentityManagementService</c> can replace it without touching the callers.
/// Policy documents are always returned decoded (IAM sends them URL-encoded, see <see cref="PolicyDocumentText"/>).
/// Errors surface as <see cref="IamServiceException"/> subclasses carrying the IAM error code and request id.
/// </summary>
public interface IIamClient
{
    Task<IamRole> GetRoleAsync(string roleName, CancellationToken cancellationToken = default);

    /// <summary>All managed policies attached to the role (follows IsTruncated/Marker).</summary>
    Task<IReadOnlyList<IamAttachedPolicy>> ListAttachedRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default);

    /// <summary>Names of all inline policies of the role (follows IsTruncated/Marker).</summary>
    Task<IReadOnlyList<string>> ListRolePoliciesAsync(string roleName, CancellationToken cancellationToken = default);

    Task<IamRolePolicy> GetRolePolicyAsync(string roleName, string policyName, CancellationToken cancellationToken = default);

    Task<IamManagedPolicy> GetPolicyAsync(string policyArn, CancellationToken cancellationToken = default);

    Task<IamPolicyVersion> GetPolicyVersionAsync(string policyArn, string versionId, CancellationToken cancellationToken = default);

    Task<IamManagedPolicy> CreatePolicyAsync(string policyName, string policyDocument, string? description = null, string? path = null, CancellationToken cancellationToken = default);

    Task<IamPolicyVersion> CreatePolicyVersionAsync(string policyArn, string policyDocument, bool setAsDefault, CancellationToken cancellationToken = default);

    Task AttachRolePolicyAsync(string roleName, string policyArn, CancellationToken cancellationToken = default);

    /// <summary>
    /// Evaluates every action on every resource for the principal's identity policies (all pages).
    /// Not every endpoint has it (moto_server does not): callers fall back to the policy documents.
    /// </summary>
    Task<IReadOnlyList<IamEvaluationResult>> SimulatePrincipalPolicyAsync(string policySourceArn, IReadOnlyCollection<string> actionNames, IReadOnlyCollection<string>? resourceArns = null, CancellationToken cancellationToken = default);

    /// <summary>STS GetCallerIdentity (through AWSSDK.SecurityToken): who the configured credentials are.</summary>
    Task<IamCallerIdentity> GetCallerIdentityAsync(CancellationToken cancellationToken = default);
}

public sealed record IamRole(string RoleName, string RoleId, string Arn, string Path, DateTimeOffset CreateDate, string? AssumeRolePolicyDocument, string? Description);

public sealed record IamAttachedPolicy(string PolicyName, string PolicyArn);

public sealed record IamRolePolicy(string RoleName, string PolicyName, string PolicyDocument);

public sealed record IamManagedPolicy(string PolicyName, string PolicyId, string Arn, string Path, string DefaultVersionId, int AttachmentCount, bool IsAttachable, string? Description, DateTimeOffset CreateDate, DateTimeOffset UpdateDate);

public sealed record IamPolicyVersion(string VersionId, bool IsDefaultVersion, DateTimeOffset CreateDate, string? Document);

public sealed record IamCallerIdentity(string Account, string Arn, string UserId);

/// <summary>A statement that decided an evaluation: the policy it sits in and where.</summary>
public sealed record IamMatchedStatement(string SourcePolicyId, string SourcePolicyType, int? StartLine = null, int? StartColumn = null, int? EndLine = null, int? EndColumn = null);

public sealed record IamEvaluationResult(
    string ActionName,
    string ResourceName,
    PermissionDecision Decision,
    IReadOnlyList<IamMatchedStatement> MatchedStatements,
    IReadOnlyList<string> MissingContextValues);
