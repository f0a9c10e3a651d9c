using System.Net;

namespace KmsConsole.Rotation.Iam;

/// <summary>Where the answers of a preflight came from.</summary>
public enum PermissionSource
{
    /// <summary>IAM's own SimulatePrincipalPolicy.</summary>
    SimulatePrincipalPolicy,

    /// <summary>The role's attached managed and inline policy documents, evaluated by <see cref="IamPolicyEvaluator"/>.</summary>
    PolicyDocuments,

    /// <summary>The principal is not a role, so nothing was checked (see <see cref="PermissionReport.SimulationUnavailableReason"/>).</summary>
    NotChecked,
}

/// <summary>The principal's answer for one required permission, and the policy that decided it (none for an implicit deny).</summary>
public sealed record PermissionCheck(
    KmsPermission Permission,
    PermissionDecision Decision,
    string? DecidingPolicy,
    string? DecidingPolicyType,
    IReadOnlyList<string> MissingContextValues)
{
    public bool IsAllowed => Decision == PermissionDecision.Allowed;

    /// <summary>One line for the request form, the run detail and a refusal.</summary>
    public string Describe() => Decision switch
    {
        PermissionDecision.Allowed => $"{Permission.Action} on {Permission.Resource}: allowed by {DecidingPolicy}",
        PermissionDecision.ExplicitDeny => $"{Permission.Action} on {Permission.Resource}: explicitly denied by {DecidingPolicy}",
        _ => $"{Permission.Action} on {Permission.Resource}: implicitly denied (no policy allows it)",
    };
}

/// <param name="SimulationUnavailableReason">Why SimulatePrincipalPolicy was not used, or, for <see cref="PermissionSource.NotChecked"/>, why nothing was checked.</param>
public sealed record PermissionReport(string PrincipalArn, PermissionSource Source, IReadOnlyList<PermissionCheck> Checks, string? SimulationUnavailableReason)
{
    /// <summary>No required permission is denied. Also true for <see cref="PermissionSource.NotChecked"/>: show that state, do not read it as a pass.</summary>
    public bool Allowed => Checks.All(c => c.IsAllowed);

    /// <summary>The KMS actions the principal lacks on at least one required resource, e.g. ["kms:UpdateAlias"].</summary>
    public IReadOnlyList<string> MissingActions => Checks.Where(c => !c.IsAllowed).Select(c => c.Permission.Action).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>One user-facing sentence for a refused run, naming the missing actions; null when nothing is missing.</summary>
    public string? Summary => Allowed ? null
        : $"The role {PrincipalArn} lacks {string.Join(", ", MissingActions)}"
          + (Checks.Any(c => c.Decision == PermissionDecision.ExplicitDeny) ? " (explicitly denied by " + string.Join(", ", Checks.Where(c => c.Decision == PermissionDecision.ExplicitDeny).Select(c => c.DecidingPolicy).Distinct()) + ")" : string.Empty)
          + ". An Admin can apply the generated least-privilege policy for this workflow, or grant the actions in IAM.";

    /// <summary>User-facing refusals, one per denied permission.</summary>
    public IReadOnlyList<string> Refusals => Checks.Where(c => !c.IsAllowed).Select(c => $"{PrincipalArn} lacks {c.Describe()} — needed to {c.Permission.Reason}.").ToList();
}

/// <summary>
/// Answers, for the principal that will execute a run, allowed / implicit deny / explicit deny per KMS action and
/// resource the workflow needs. Asks SimulatePrincipalPolicy first; where the endpoint has no such operation
/// (moto_server) or the caller may not call it, reads the role's attached managed policies (their default
/// versions) and inline policies and evaluates them with the same rules.
/// </summary>
/// <param name="iam">The IAM client of the target the run executes on.</param>
/// <param name="useSimulation">False skips SimulatePrincipalPolicy and always evaluates the policy documents.</param>
public sealed class PermissionPreflight(IIamClient iam, bool useSimulation = true)
{
    public Task<PermissionReport> CheckWorkflowAsync(string principalArn, string workflow, KmsRunResources resources, bool rotateNow = false, string? oldKeyFate = null, CancellationToken cancellationToken = default) =>
        CheckAsync(principalArn, KmsPermissionRequirements.For(workflow, resources, rotateNow, oldKeyFate), cancellationToken);

    /// <param name="principalArn">A role ARN, or the assumed-role ARN that STS GetCallerIdentity answers for a role session.</param>
    public async Task<PermissionReport> CheckAsync(string principalArn, IReadOnlyList<KmsPermission> required, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(required);
        var roleName = RoleNameOf(principalArn);

        // The role's own ARN carries its path, which an assumed-role ARN leaves out; GetRole also makes a
        // missing role fail here with NoSuchEntity instead of as a wall of implicit denies.
        IamRole role;
        try
        {
            role = await iam.GetRoleAsync(roleName, cancellationToken).ConfigureAwait(false);
        }
        catch (IamAccessDeniedException ex)
        {
            return CannotRead(principalArn, ex);
        }

        string? unavailable = "SimulatePrincipalPolicy not used for this target";
        if (useSimulation)
        {
            try
            {
                var simulated = await SimulateAsync(role.Arn, required, cancellationToken).ConfigureAwait(false);
                return new PermissionReport(role.Arn, PermissionSource.SimulatePrincipalPolicy, simulated, null);
            }
            catch (IamProtocolException ex)
            {
                unavailable = ex.Message;
            }
            catch (IamServiceException ex) when (SimulationUnavailable(ex))
            {
                unavailable = $"SimulatePrincipalPolicy answered {ex.ErrorCode}: {ex.Message}";
            }
        }

        IReadOnlyList<IamPolicySource> policies;
        try
        {
            policies = await LoadPoliciesAsync(role.RoleName, cancellationToken).ConfigureAwait(false);
        }
        catch (IamAccessDeniedException ex)
        {
            return CannotRead(role.Arn, ex);
        }

        var checks = required.Select(p =>
        {
            var outcome = IamPolicyEvaluator.Evaluate(policies, p.Action, p.Resource);
            return new PermissionCheck(p, outcome.Decision, outcome.DecidingPolicy?.Id, outcome.DecidingPolicy?.Type, outcome.MissingContextValues);
        }).ToList();
        return new PermissionReport(role.Arn, PermissionSource.PolicyDocuments, checks, unavailable);
    }

    /// <summary>As <see cref="CheckWorkflowAsync(string, string, KmsRunResources, bool, string?, CancellationToken)"/> for the orchestrator's enums.</summary>
    public Task<PermissionReport> CheckWorkflowAsync<TWorkflow>(string principalArn, TWorkflow workflow, KmsRunResources resources, bool rotateNow = false, Enum? oldKeyFate = null, CancellationToken cancellationToken = default)
        where TWorkflow : struct, Enum =>
        CheckAsync(principalArn, KmsPermissionRequirements.For(workflow, resources, rotateNow, oldKeyFate), cancellationToken);

    /// <summary>
    /// Checks the principal the IAM client's own credentials stand for (STS GetCallerIdentity) — the usual case,
    /// since runs execute with the target's credentials. Only roles are checked: for an IAM user or the root
    /// user the report says so (<see cref="PermissionSource.NotChecked"/>) instead of guessing.
    /// </summary>
    public async Task<PermissionReport> CheckCallerAsync(IReadOnlyList<KmsPermission> required, CancellationToken cancellationToken = default)
    {
        var caller = await iam.GetCallerIdentityAsync(cancellationToken).ConfigureAwait(false);
        if (!IsRole(caller.Arn))
        {
            return new PermissionReport(caller.Arn, PermissionSource.NotChecked, [],
                $"{caller.Arn} is not a role; KmsConsole checks the permissions of roles (set the target's RoleArn or use role credentials).");
        }

        return await CheckAsync(caller.Arn, required, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True for role ARNs and assumed-role session ARNs.</summary>
    public static bool IsRole(string principalArn)
    {
        var parts = principalArn.Split(':', 6);
        return parts.Length == 6 && parts[0] == "arn"
            && ((parts[2] == "iam" && parts[5].StartsWith("role/", StringComparison.Ordinal))
                || (parts[2] == "sts" && parts[5].StartsWith("assumed-role/", StringComparison.Ordinal)));
    }

    /// <summary>The role's identity policies as evaluation sources: managed (default version) then inline.</summary>
    public async Task<IReadOnlyList<IamPolicySource>> LoadPoliciesAsync(string roleName, CancellationToken cancellationToken = default)
    {
        var sources = new List<IamPolicySource>();
        foreach (var attached in await iam.ListAttachedRolePoliciesAsync(roleName, cancellationToken).ConfigureAwait(false))
        {
            var policy = await iam.GetPolicyAsync(attached.PolicyArn, cancellationToken).ConfigureAwait(false);
            var version = await iam.GetPolicyVersionAsync(attached.PolicyArn, policy.DefaultVersionId, cancellationToken).ConfigureAwait(false);
            var type = attached.PolicyArn.Contains(":iam::aws:policy/", StringComparison.Ordinal) ? "aws-managed" : "user-managed";
            sources.Add(new IamPolicySource(attached.PolicyName, type, ParseStored(version.Document ?? string.Empty, attached.PolicyArn)));
        }

        foreach (var name in await iam.ListRolePoliciesAsync(roleName, cancellationToken).ConfigureAwait(false))
        {
            var inline = await iam.GetRolePolicyAsync(roleName, name, cancellationToken).ConfigureAwait(false);
            sources.Add(new IamPolicySource(name, "role", ParseStored(inline.PolicyDocument, $"{roleName}/{name}")));
        }

        return sources;
    }

    /// <summary>arn:aws:iam::111122223333:role/path/Name and arn:aws:sts::111122223333:assumed-role/Name/session both give Name.</summary>
    public static string RoleNameOf(string principalArn)
    {
        ArgumentException.ThrowIfNullOrEmpty(principalArn);
        var parts = principalArn.Split(':', 6);
        if (parts.Length == 6 && parts[0] == "arn")
        {
            var resource = parts[5];
            if (parts[2] == "iam" && resource.StartsWith("role/", StringComparison.Ordinal))
            {
                return resource[(resource.LastIndexOf('/') + 1)..];
            }

            if (parts[2] == "sts" && resource.StartsWith("assumed-role/", StringComparison.Ordinal))
            {
                var segments = resource.Split('/');
                return segments[1];
            }
        }

        throw new ArgumentException($"'{principalArn}' is not a role ARN or an assumed-role ARN; the executing principal of a run must be a role.", nameof(principalArn));
    }

    private async Task<IReadOnlyList<PermissionCheck>> SimulateAsync(string roleArn, IReadOnlyList<KmsPermission> required, CancellationToken cancellationToken)
    {
        var answers = new Dictionary<(string, string), IamEvaluationResult>();
        foreach (var group in required.GroupBy(p => p.Resource, StringComparer.Ordinal))
        {
            var actions = group.Select(p => p.Action).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            var results = await iam.SimulatePrincipalPolicyAsync(roleArn, actions, [group.Key], cancellationToken).ConfigureAwait(false);
            foreach (var result in results)
            {
                answers[(result.ActionName.ToLowerInvariant(), group.Key)] = result;
            }
        }

        return required.Select(p =>
        {
            if (!answers.TryGetValue((p.Action.ToLowerInvariant(), p.Resource), out var result))
            {
                throw new IamProtocolException("SimulatePrincipalPolicy", HttpStatusCode.OK, $"no result for {p.Action} on {p.Resource}");
            }

            var decider = result.MatchedStatements.FirstOrDefault();
            return new PermissionCheck(p, result.Decision, decider?.SourcePolicyId, decider?.SourcePolicyType, result.MissingContextValues);
        }).ToList();
    }

    // The credentials that run the check may not read IAM: say so rather than fail the whole request.
    private static PermissionReport CannotRead(string principalArn, IamAccessDeniedException ex) =>
        new(principalArn, PermissionSource.NotChecked, [],
            $"IAM refused to show {principalArn}'s policies ({ex.ErrorCode}, request {ex.RequestId}): {ex.Message} Grant iam:SimulatePrincipalPolicy and iam:GetRole on the role, or iam:GetRole, iam:ListAttachedRolePolicies, iam:ListRolePolicies, iam:GetRolePolicy, iam:GetPolicy and iam:GetPolicyVersion.");

    private static bool SimulationUnavailable(IamServiceException ex) =>
        (int)ex.StatusCode >= 500
        || ex.ErrorCode is "AccessDenied" or "NotImplemented" or "InvalidAction" or "UnknownOperation" or "UnsupportedOperation";

    private static IamPolicyDocument ParseStored(string document, string where)
    {
        try
        {
            return IamPolicyDocument.Parse(document);
        }
        catch (IamPolicyDocumentException ex)
        {
            throw new InvalidOperationException($"Policy {where} could not be evaluated: {ex.Message}", ex);
        }
    }
}
