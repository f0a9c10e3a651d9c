using System.Text.Json.Nodes;

namespace KmsConsole.Rotation.Iam;

/// <summary>What <see cref="RolePolicyGrant.ApplyAsync"/> changed; all false on a repeat of a finished grant.</summary>
public sealed record PolicyGrantResult(string PolicyArn, string DefaultVersionId, bool CreatedPolicy, bool CreatedVersion, bool Attached);

/// <summary>
/// Applies a generated policy to the role that executes runs: creates the customer managed policy (or, when a
/// policy of that name exists with another document, adds a version and makes it the default) and attaches it
/// to the role. Each step checks before acting, so a grant interrupted after any call can simply run again.
/// The caller (an Admin action behind its own approval gate) records the result in the audit trail.
/// </summary>
public sealed class RolePolicyGrant(IIamClient iam)
{
    /// <exception cref="IamLimitExceededException">The policy already has 5 versions; one must be deleted in IAM first.</exception>
    public async Task<PolicyGrantResult> ApplyAsync(string roleArn, string policyName, string policyDocument, string? description = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(policyName);
        ArgumentException.ThrowIfNullOrEmpty(policyDocument);
        var role = await iam.GetRoleAsync(PermissionPreflight.RoleNameOf(roleArn), cancellationToken).ConfigureAwait(false);
        var arnParts = role.Arn.Split(':', 6);
        var policyArn = $"arn:{arnParts[1]}:iam::{arnParts[4]}:policy/{policyName}";

        bool createdPolicy = false, createdVersion = false;
        string defaultVersion;
        try
        {
            defaultVersion = (await iam.CreatePolicyAsync(policyName, policyDocument, description, cancellationToken: cancellationToken).ConfigureAwait(false)).DefaultVersionId;
            createdPolicy = true;
        }
        catch (IamEntityAlreadyExistsException)
        {
            var existing = await iam.GetPolicyAsync(policyArn, cancellationToken).ConfigureAwait(false);
            var current = await iam.GetPolicyVersionAsync(policyArn, existing.DefaultVersionId, cancellationToken).ConfigureAwait(false);
            if (SameDocument(current.Document, policyDocument))
            {
                defaultVersion = existing.DefaultVersionId;
            }
            else
            {
                defaultVersion = (await iam.CreatePolicyVersionAsync(policyArn, policyDocument, setAsDefault: true, cancellationToken).ConfigureAwait(false)).VersionId;
                createdVersion = true;
            }
        }

        var attached = await iam.ListAttachedRolePoliciesAsync(role.RoleName, cancellationToken).ConfigureAwait(false);
        var attach = !attached.Any(a => string.Equals(a.PolicyArn, policyArn, StringComparison.Ordinal));
        if (attach)
        {
            await iam.AttachRolePolicyAsync(role.RoleName, policyArn, cancellationToken).ConfigureAwait(false);
        }

        return new PolicyGrantResult(policyArn, defaultVersion, createdPolicy, createdVersion, attach);
    }

    /// <summary>Same policy whatever the whitespace and property layout.</summary>
    public static bool SameDocument(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return false;
        }

        try
        {
            return JsonNode.DeepEquals(JsonNode.Parse(a), JsonNode.Parse(b));
        }
        catch (System.Text.Json.JsonException)
        {
            return string.Equals(a, b, StringComparison.Ordinal);
        }
    }
}
