using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Iam;

/// <summary>What an Admin asks to grant: the workflows the executing role of a target must be able to run, and how widely.</summary>
/// <param name="NamedResources">For <see cref="PolicyScope.NamedResources"/>: key ids, key ARNs or alias names.</param>
/// <param name="PolicyName">The managed policy's name; null generates one (e.g. KmsConsole-AliasSwapNewKey).</param>
/// <param name="IncludeInventoryReads">
/// Also grant the key list's reads (<see cref="KmsPermissionRequirements.ForInventory"/>) on every key of the account:
/// the console syncs its key list and refreshes a run's keys with the same credentials that run rotations.
/// </param>
public sealed record PolicyGrantRequest(string Target, IReadOnlyList<WorkflowKind> Workflows, PolicyScope Scope,
    IReadOnlyList<string>? NamedResources = null, string? PolicyName = null, bool IncludeInventoryReads = true);

/// <summary>The policy a grant would create and the role it would be attached to, before anything is requested.</summary>
/// <param name="AppliedBy">The principal whose credentials would create and attach the policy (STS GetCallerIdentity of the grant credentials).</param>
/// <param name="AppliedWithGrantCredentials">True when the target names grant credentials of its own; false when the executing credentials apply it.</param>
public sealed record PolicyGrantPreview(string Target, string RoleArn, string PolicyName, string PolicyDocument, IReadOnlyList<KmsPermission> Permissions,
    string AppliedBy, bool AppliedWithGrantCredentials);

/// <summary>
/// Least-privilege grants behind an approval gate: an Admin requests the generated policy for a target's executing
/// role, another Approver or Admin approves (never the requester) or rejects it, and on approval it is created and
/// attached in IAM with the target's grant credentials (<see cref="KmsTarget.GrantRoleArn"/> and the like), or the
/// target's own when it names none. Applying is resumable: a grant that failed midway is applied again, each IAM step checking
/// before it acts. Every step is in the audit trail; every role check is made here.
/// </summary>
public sealed partial class PolicyGrants
{
    private readonly RotationStore _store;
    private readonly IIamClientFactory _iam;
    private readonly IKmsClientFactory _kms;
    private readonly Preflight _preflight;
    private readonly WorkflowDefinitions _workflows;
    private readonly IChangeFeed _changes;
    private readonly RotationOptions _options;

    internal PolicyGrants(RotationStore store, IIamClientFactory iam, IKmsClientFactory kms, Preflight preflight, WorkflowDefinitions workflows,
        IChangeFeed changes, IOptions<RotationOptions> options)
    {
        _changes = changes;
        _workflows = workflows;
        _store = store;
        _iam = iam;
        _kms = kms;
        _preflight = preflight;
        _options = options.Value;
    }


    private DateTimeOffset Now => _store.Time.GetUtcNow();

    public static string Subject(Guid grantId) => $"policy-grant/{grantId}";

    public async Task<PolicyGrantPreview> PreviewAsync(Actor admin, PolicyGrantRequest request, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "prepare a policy grant");
        return await Refusals.TranslateAsync(() => BuildAsync(request, cancellationToken), cancellationToken);
    }

    public async Task<PolicyGrant> RequestAsync(Actor admin, PolicyGrantRequest request, string justification, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "request a policy grant");
        if (string.IsNullOrWhiteSpace(justification))
        {
            throw RotationRefusedException.Missing("Give a justification: the approver and the auditors read it.", "justification");
        }

        var preview = await Refusals.TranslateAsync(() => BuildAsync(request, cancellationToken), cancellationToken);
        var grant = new PolicyGrant
        {
            Id = Guid.NewGuid(),
            Target = preview.Target,
            RoleArn = preview.RoleArn,
            PolicyName = preview.PolicyName,
            PolicyDocument = preview.PolicyDocument,
            Workflows = string.Join(',', request.Workflows.Distinct().Order()),
            Scope = request.Scope,
            NamedResources = request.Scope == PolicyScope.NamedResources ? string.Join(',', Named(request)) : null,
            State = PolicyGrantState.AwaitingApproval,
            RequestedBy = admin.UserId,
            RequestedByName = admin.DisplayName,
            Justification = justification.Trim(),
            CreatedAt = Now,
            Version = Guid.NewGuid(),
        };
        await _store.WriteAsync(async (db, audit) =>
        {
            db.PolicyGrants.Add(grant);
            await audit.AppendAsync(admin.UserId, "grant.requested", Subject(grant.Id),
                $"{grant.PolicyName} for {grant.RoleArn} on target {grant.Target} ({grant.Workflows}; {Describe(grant)}): {grant.Justification}");
        }, cancellationToken);
        _changes.Publish(new ConsoleChange(ChangeKind.Grant, grant.Id));
        return grant;
    }

    /// <summary>Approves the grant and applies it at once; a failure to apply leaves it <see cref="PolicyGrantState.Failed"/>, to apply again.</summary>
    public async Task<PolicyGrant> ApproveAsync(Actor approver, Guid grantId, string? comment, CancellationToken cancellationToken = default)
    {
        await DecideAsync(approver, grantId, approve: true, comment, cancellationToken);
        return await ApplyCoreAsync(approver, grantId, cancellationToken);
    }

    public async Task<PolicyGrant> RejectAsync(Actor approver, Guid grantId, string reason, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw RotationRefusedException.Missing("Give the reason for the rejection; the requester reads it.", "reason");
        }

        return await DecideAsync(approver, grantId, approve: false, reason, cancellationToken);
    }

    /// <summary>Applies an approved grant again after a failure (or a crash) midway; an Admin or an Approver may.</summary>
    public async Task<PolicyGrant> ApplyAgainAsync(Actor actor, Guid grantId, CancellationToken cancellationToken = default)
    {
        if (!actor.IsIn(Roles.Approver))
        {
            throw new RotationAuthorizationException($"{actor.DisplayName} needs the Approver or Admin role to apply a policy grant.");
        }

        return await ApplyCoreAsync(actor, grantId, cancellationToken);
    }

    public async Task<PolicyGrant?> GetAsync(Guid grantId, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        return await db.PolicyGrants.AsNoTracking().FirstOrDefaultAsync(g => g.Id == grantId, cancellationToken);
    }

    /// <summary>The most recent grants, newest first.</summary>
    public async Task<IReadOnlyList<PolicyGrant>> ListAsync(int count = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        return await db.PolicyGrants.AsNoTracking().OrderByDescending(g => g.CreatedAt).Take(Math.Clamp(count, 1, 500)).ToListAsync(cancellationToken);
    }

    /// <summary>Grants the actor may decide: waiting, and not requested by the actor.</summary>
    public async Task<IReadOnlyList<PolicyGrant>> AwaitingDecisionByAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        if (!actor.IsIn(Roles.Approver))
        {
            return [];
        }

        await using var db = await _store.ReadAsync(cancellationToken);
        return await db.PolicyGrants.AsNoTracking()
            .Where(g => g.State == PolicyGrantState.AwaitingApproval && g.RequestedBy != actor.UserId)
            .OrderBy(g => g.CreatedAt).ToListAsync(cancellationToken);
    }

    private async Task<PolicyGrant> DecideAsync(Actor approver, Guid grantId, bool approve, string? comment, CancellationToken cancellationToken)
    {
        var grant = await ChangeAsync(grantId, async (grant, audit) =>
        {
            if (!approver.IsIn(Roles.Approver))
            {
                throw new RotationAuthorizationException($"{approver.DisplayName} needs the Approver or Admin role to approve or reject a policy grant.");
            }

            if (grant.State != PolicyGrantState.AwaitingApproval)
            {
                throw new RotationRefusedException($"Policy grant {grant.Id} is {grant.State}; only a grant waiting for approval can be approved or rejected.");
            }

            // An Admin is not above the gate: nobody decides a grant they requested.
            if (string.Equals(approver.UserId, grant.RequestedBy, StringComparison.OrdinalIgnoreCase))
            {
                throw new RotationAuthorizationException($"{approver.DisplayName} requested policy grant {grant.Id}; another Approver or Admin must decide it.");
            }

            grant.State = approve ? PolicyGrantState.Approved : PolicyGrantState.Rejected;
            grant.DecidedBy = approver.UserId;
            grant.DecidedByName = approver.DisplayName;
            grant.DecisionComment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
            grant.DecidedAt = Now;
            await audit.AppendAsync(approver.UserId, approve ? "grant.approved" : "grant.rejected", Subject(grant.Id),
                $"{grant.PolicyName} for {grant.RoleArn}{(grant.DecisionComment is null ? "" : ": " + grant.DecisionComment)}");
        }, cancellationToken);
        return grant;
    }

    private async Task<PolicyGrant> ApplyCoreAsync(Actor actor, Guid grantId, CancellationToken cancellationToken)
    {
        var grant = await GetAsync(grantId, cancellationToken) ?? throw new RotationRefusedException($"Policy grant {grantId} does not exist.", kind: RefusalKind.NotFound);
        if (!grant.CanApply)
        {
            throw new RotationRefusedException($"Policy grant {grant.Id} is {grant.State}; only an approved grant (or one that failed to apply) can be applied.");
        }

        var target = _options.FindTarget(grant.Target)
            ?? throw new RotationRefusedException($"No KMS target named '{grant.Target}' is configured any more (Rotation:Targets).");
        PolicyGrantResult result;
        string appliedBy;
        try
        {
            var iam = _iam.CreateForGrants(target.Name);
            appliedBy = (await iam.GetCallerIdentityAsync(cancellationToken)).Arn;
            result = await new RolePolicyGrant(iam).ApplyAsync(grant.RoleArn, grant.PolicyName, grant.PolicyDocument,
                $"KmsConsole least-privilege policy for {grant.Workflows} (grant {grant.Id})", cancellationToken);
        }
        catch (Exception e) when (RunPermissionCheck.Unanswered(e, cancellationToken))
        {
            var error = e is IamServiceException iam ? $"{iam.ErrorCode}: {iam.Message}" : RunPermissionCheck.Explain(target, e);
            return await ChangeAsync(grantId, async (g, audit) =>
            {
                g.ApplyAttempts++;
                g.State = PolicyGrantState.Failed;
                g.Error = error;
                await audit.AppendAsync(actor.UserId, "grant.failed", Subject(g.Id), $"{g.PolicyName} for {g.RoleArn}: {error}", (e as IamServiceException)?.RequestId);
            }, cancellationToken);
        }

        return await ChangeAsync(grantId, async (g, audit) =>
        {
            g.ApplyAttempts++;
            g.State = PolicyGrantState.Applied;
            g.Error = null;
            g.AppliedAt = Now;
            g.PolicyArn = result.PolicyArn;
            g.PolicyVersionId = result.DefaultVersionId;
            var policy = result.CreatedPolicy ? "created" : result.CreatedVersion ? "new default version" : "already current";
            var attached = result.Attached ? "attached to" : "already attached to";
            await audit.AppendAsync(actor.UserId, "grant.applied", Subject(g.Id),
                $"{result.PolicyArn} version {result.DefaultVersionId} ({policy}), {attached} {g.RoleArn}, applied by {appliedBy}");
        }, cancellationToken);
    }

    private async Task<PolicyGrant> ChangeAsync(Guid grantId, Func<PolicyGrant, AuditWriter, Task> change, CancellationToken cancellationToken)
    {
        PolicyGrant changed;
        try
        {
            changed = await _store.WriteAsync(async (db, audit) =>
            {
                var grant = await db.PolicyGrants.FirstOrDefaultAsync(g => g.Id == grantId, cancellationToken)
                    ?? throw new RotationRefusedException($"Policy grant {grantId} does not exist.", kind: RefusalKind.NotFound);
                await change(grant, audit);
                grant.Version = Guid.NewGuid();
                return grant;
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RotationRefusedException($"Policy grant {grantId} changed at the same moment; look again and retry.");
        }

        _changes.Publish(new ConsoleChange(ChangeKind.Grant, grantId));
        return changed;
    }

    /// <summary>The executing role of the target and the policy its workflows need at the scope asked.</summary>
    private async Task<PolicyGrantPreview> BuildAsync(PolicyGrantRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = _options.RequireTarget(request.Target);
        if (request.Workflows.Count == 0)
        {
            throw new RotationRefusedException("Choose at least one workflow the role must be able to run.", kind: RefusalKind.Invalid)
            {
                Field = nameof(PolicyGrantRequest.Workflows),
            };
        }

        var policyName = request.PolicyName?.Trim() is { Length: > 0 } chosen ? chosen : null;
        if (policyName is not null && !PolicyNamePattern().IsMatch(policyName))
        {
            throw new RotationRefusedException($"'{policyName}' is not a valid IAM policy name: 1 to 128 letters, digits and +=,.@_- only.",
                kind: RefusalKind.Invalid) { Field = nameof(PolicyGrantRequest.PolicyName) };
        }

        var role = await ExecutingRoleAsync(target, cancellationToken);
        var arn = role.Split(':', 6);
        var (region, account) = (target.Region, arn[4]);
        var permissions = new List<KmsPermission>();
        // No escrow key named: the policy must also let the first import create it.
        var scopeResources = new KmsRunResources(region, account, KmsArns.AnyKey(region, account), "alias/*", EscrowAliasName: _options.EscrowKeyAlias);
        if (request.Scope == PolicyScope.Account)
        {
            foreach (var workflow in request.Workflows.Distinct())
            {
                permissions.AddRange(KmsPermissionRequirements.For(_workflows[workflow], scopeResources, rotateNow: true));
            }
        }
        else
        {
            var named = Named(request);
            if (named.Count == 0)
            {
                throw new RotationRefusedException("Name the keys or aliases the policy is for, or choose the account's keys and aliases.", kind: RefusalKind.Invalid)
                {
                    Field = nameof(PolicyGrantRequest.NamedResources),
                };
            }

            var kms = _kms.Create(target.Name);
            foreach (var identifier in named)
            {
                KeyMetadata key;
                try
                {
                    key = (await KmsKeys.DescribeAsync(kms, identifier, cancellationToken)).KeyMetadata;
                }
                catch (NotFoundException)
                {
                    throw new RotationRefusedException($"{identifier} was not found on target '{target.Name}'.", kind: RefusalKind.Invalid)
                    {
                        Field = nameof(PolicyGrantRequest.NamedResources),
                    };
                }

                var aliases = identifier.StartsWith(AliasNames.Prefix, StringComparison.Ordinal)
                    ? [identifier]
                    : (await KmsKeys.AliasesOfAsync(kms, key.KeyId, cancellationToken)).Select(a => a.AliasName)
                        .Where(a => !a.StartsWith(AliasNames.AwsPrefix, StringComparison.Ordinal)).ToList();
                foreach (var workflow in request.Workflows.Distinct().Select(w => _workflows[w]))
                {
                    if (workflow.MovesAlias && aliases.Count == 0)
                    {
                        throw new RotationRefusedException($"{identifier} has no alias; {workflow.Kind} moves an alias, so name the alias.",
                            kind: RefusalKind.Invalid) { Field = nameof(PolicyGrantRequest.NamedResources) };
                    }

                    var movedAliases = workflow.MovesAlias ? aliases.Select(a => (string?)a).ToList() : new List<string?> { null };
                    foreach (var alias in movedAliases)
                    {
                        var resources = await _preflight.ResourcesAsync(kms, key.Arn, alias, workflow, cancellationToken);
                        if (workflow.StartsFromAliasKey)
                        {
                            // A roll back starts from the key a future swap creates, which only "any key" can name.
                            resources = resources with { AliasKeyArn = null };
                        }

                        permissions.AddRange(KmsPermissionRequirements.For(workflow, resources, rotateNow: true));
                    }
                }
            }
        }

        if (request.IncludeInventoryReads)
        {
            permissions.AddRange(KmsPermissionRequirements.ForInventory(region, account));
        }

        var document = LeastPrivilegePolicy.ForPermissions(permissions, scopeResources, request.Scope);
        policyName ??= GeneratedName(request);
        var appliedBy = await GrantPrincipalAsync(target, cancellationToken);
        return new PolicyGrantPreview(target.Name, role, policyName, document, permissions.Distinct().ToList(), appliedBy, target.HasGrantCredentials);
    }

    /// <summary>The role runs on this target execute as: its RoleArn, else the role its credentials stand for.</summary>
    private async Task<string> ExecutingRoleAsync(KmsTarget target, CancellationToken cancellationToken)
    {
        var iam = _iam.Create(target.Name);
        try
        {
            string roleName;
            if (!string.IsNullOrWhiteSpace(target.RoleArn))
            {
                roleName = PermissionPreflight.RoleNameOf(target.RoleArn);
            }
            else
            {
                var caller = await iam.GetCallerIdentityAsync(cancellationToken);
                if (!PermissionPreflight.IsRole(caller.Arn))
                {
                    throw new RotationRefusedException(
                        $"Target '{target.Name}' runs as {caller.Arn}, which is not a role; a policy can only be granted to a role. Set the target's RoleArn to the role that runs rotations.");
                }

                roleName = PermissionPreflight.RoleNameOf(caller.Arn);
            }

            return (await iam.GetRoleAsync(roleName, cancellationToken)).Arn;
        }
        catch (Exception e) when (RunPermissionCheck.Unanswered(e, cancellationToken))
        {
            throw new RotationRefusedException(RunPermissionCheck.Explain(target, e));
        }
    }

    /// <summary>Who the grant credentials are, so the Admin sees which principal will change IAM before asking.</summary>
    private async Task<string> GrantPrincipalAsync(KmsTarget target, CancellationToken cancellationToken)
    {
        try
        {
            return (await _iam.CreateForGrants(target.Name).GetCallerIdentityAsync(cancellationToken)).Arn;
        }
        catch (Exception e) when (RunPermissionCheck.Unanswered(e, cancellationToken))
        {
            throw new RotationRefusedException(RunPermissionCheck.Explain(target, e));
        }
    }

    private static List<string> Named(PolicyGrantRequest request) =>
        (request.NamedResources ?? []).Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private static string GeneratedName(PolicyGrantRequest request)
    {
        var workflows = request.Workflows.Distinct().Order().Select(w => w.ToString()).ToList();
        var name = LeastPrivilegePolicy.PolicyNameFor(string.Join("-", workflows));
        if (request.Scope == PolicyScope.NamedResources)
        {
            // Named scopes get their own policy, so granting one key does not replace another key's grant.
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Named(request))));
            name += "-" + Convert.ToHexStringLower(hash)[..8];
        }

        return name.Length <= 128 ? name : name[..128];
    }

    private static string Describe(PolicyGrant grant) =>
        grant.Scope == PolicyScope.Account ? "the account's keys and aliases" : $"named: {grant.NamedResources}";

    [GeneratedRegex(@"^[\w+=,.@-]{1,128}$")]
    private static partial Regex PolicyNamePattern();
}
