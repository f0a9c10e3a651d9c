namespace KmsConsole.LocalKms.Iam;

/// <summary>
/// The answer for one KMS call. When denied, <see cref="ErrorCode"/> and <see cref="Message"/> are what the KMS
/// endpoint sends back as its JSON error ({"__type": ErrorCode, "message": Message}, HTTP 400).
/// </summary>
public sealed record IamDecision(bool IsAllowed, PermissionDecision Decision, string? PrincipalArn, string? DecidingPolicy, string? ErrorCode, string? Message)
{
    /// <summary>Enforcement is off: every call is allowed, as for a caller holding every KMS permission.</summary>
    public static IamDecision NotEnforced { get; } = new(true, PermissionDecision.Allowed, null, null, null, null);
}

/// <summary>
/// Checks a KMS call against the caller's IAM policies on the local endpoint, so a missing permission fails
/// locally exactly as in AWS. The caller is the role its access key id maps to: a key registered with
/// <see cref="IamStore.MapAccessKeyAsync"/> (seeding, tests), otherwise the role whose name equals the access key
/// id — e.g. <c>new BasicAWSCredentials("KMSWorkshop-InstanceInitRole", "any-secret")</c> acts as that role.
/// An access key that maps to no role is refused with UnrecognizedClientException, as AWS refuses an unknown key.
/// Only identity-based policies are evaluated (the default key policy delegates to them). Off unless
/// <see cref="LocalIamOptions.EnforceKmsPermissions"/> is true.
/// </summary>
public sealed class IamPolicyEnforcer(IamStore store, LocalIamOptions options)
{
    public bool Enabled => options.EnforceKmsPermissions;

    /// <param name="accessKeyId">From the request's SigV4 Credential (see <see cref="IamQueryEndpoint.ReadCredential"/>).</param>
    /// <param name="kmsAction">"UpdateAlias" (the X-Amz-Target operation) or "kms:UpdateAlias".</param>
    /// <param name="resourceArn">The key or alias ARN the operation acts on, or "*" for CreateKey/ListKeys/ListAliases.</param>
    public Task<IamDecision> AuthorizeAsync(string accessKeyId, string kmsAction, string resourceArn, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Authorize(accessKeyId, kmsAction, resourceArn));
    }

    /// <summary>Synchronous <see cref="AuthorizeAsync"/> (SQLite answers synchronously anyway).</summary>
    public IamDecision Authorize(string accessKeyId, string kmsAction, string resourceArn)
    {
        ArgumentNullException.ThrowIfNull(kmsAction);
        ArgumentNullException.ThrowIfNull(resourceArn);
        if (!options.EnforceKmsPermissions)
        {
            return IamDecision.NotEnforced;
        }

        var action = kmsAction.Contains(':', StringComparison.Ordinal) ? kmsAction : "kms:" + kmsAction;
        var role = string.IsNullOrEmpty(accessKeyId) ? null : store.ResolvePrincipal(accessKeyId);
        if (role is null)
        {
            return new IamDecision(false, PermissionDecision.ImplicitDeny, null, null, "UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        var principal = SessionArn(options.AccountId, role.RoleName, accessKeyId);
        var outcome = IamPolicyEvaluator.Evaluate(store.LoadRolePolicies(role.RoleName), action, resourceArn);
        return outcome.Decision switch
        {
            PermissionDecision.Allowed => new IamDecision(true, outcome.Decision, principal, outcome.DecidingPolicy?.Id, null, null),
            PermissionDecision.ExplicitDeny => new IamDecision(false, outcome.Decision, principal, outcome.DecidingPolicy?.Id, "AccessDeniedException",
                $"User: {principal} is not authorized to perform: {action} on resource: {resourceArn} with an explicit deny in an identity-based policy"),
            _ => new IamDecision(false, outcome.Decision, principal, null, "AccessDeniedException",
                $"User: {principal} is not authorized to perform: {action} on resource: {resourceArn} because no identity-based policy allows the {action} action"),
        };
    }

    /// <summary>
    /// Checks every resource an operation touches (UpdateAlias: the alias, the current key and the new key;
    /// CreateAlias: the alias and the key) and returns the first refusal, or the last allow.
    /// </summary>
    public Task<IamDecision> AuthorizeAllAsync(string accessKeyId, string kmsAction, IEnumerable<string> resourceArns, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(AuthorizeAll(accessKeyId, kmsAction, resourceArns));
    }

    public IamDecision AuthorizeAll(string accessKeyId, string kmsAction, IEnumerable<string> resourceArns)
    {
        ArgumentNullException.ThrowIfNull(resourceArns);
        var decision = IamDecision.NotEnforced;
        foreach (var resource in resourceArns)
        {
            decision = Authorize(accessKeyId, kmsAction, resource);
            if (!decision.IsAllowed)
            {
                return decision;
            }
        }

        return decision;
    }

    /// <summary>
    /// The ARNs a grant may name the caller by: its role's ARN and this role session's ARN; empty for an unknown access key.
    /// </summary>
    public IReadOnlyCollection<string> CallerPrincipals(string accessKeyId)
    {
        var role = string.IsNullOrEmpty(accessKeyId) ? null : store.ResolvePrincipal(accessKeyId);
        return role is null ? [] : [role.Arn, SessionArn(options.AccountId, role.RoleName, accessKeyId)];
    }

    /// <summary>How AWS names a role session: arn:aws:sts::&lt;account&gt;:assumed-role/&lt;RoleName&gt;/&lt;session&gt; (the session here is the access key id).</summary>
    public static string SessionArn(string accountId, string roleName, string sessionName) => $"arn:aws:sts::{accountId}:assumed-role/{roleName}/{sessionName}";
}
