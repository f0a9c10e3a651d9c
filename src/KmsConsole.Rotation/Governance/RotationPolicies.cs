using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// Rotation policies and their versions: an Admin proposes (a new policy, a new version, or retiring one), someone else
/// with the approver role approves under the remedy workflow's approval policy, and every step is audited. Approving a
/// version makes it the active one and evaluates compliance against it at once.
/// </summary>
public sealed class RotationPolicies
{
    private readonly RotationStore _store;
    private readonly ComplianceEvaluation _evaluation;
    private readonly IChangeFeed _changes;
    private readonly RotationOptions _options;
    private readonly Workflows.WorkflowDefinitions _definitions;

    internal RotationPolicies(RotationStore store, ComplianceEvaluation evaluation, IChangeFeed changes, IOptions<RotationOptions> options,
        Workflows.WorkflowDefinitions definitions)
    {
        _store = store;
        _evaluation = evaluation;
        _changes = changes;
        _options = options.Value;
        _definitions = definitions;
    }

    /// <summary>The approval policy of a rotation policy's changes: its remedy workflow's, as for the runs it leads to.</summary>
    internal ApprovalPolicy ApprovalFor(PolicyRule rule) => rule.Remedy is { } remedy ? _options.PolicyFor(remedy) : new ApprovalPolicy();

    /// <summary>Every version of every policy, newest first within each policy.</summary>
    public async Task<IReadOnlyList<RotationPolicy>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var all = await db.RotationPolicies.AsNoTracking().ToListAsync(cancellationToken);
        var signOffs = await SignOffs.LoadAsync(db, all.Select(p => p.Id).ToList(), cancellationToken);
        all.ForEach(p => p.SignOffs = signOffs[p.Id].ToList());
        return all.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.PolicyId).ThenByDescending(p => p.Version).ToList();
    }

    /// <summary>The versions compliance is evaluated against.</summary>
    public async Task<IReadOnlyList<RotationPolicy>> ActiveAsync(CancellationToken cancellationToken = default) =>
        (await ListAsync(cancellationToken)).Where(p => p.State == PolicyState.Active).ToList();

    public Task<RotationPolicy> ProposeAsync(Actor admin, PolicyProposal proposal, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => ProposeCoreAsync(admin, proposal, retires: false, cancellationToken), cancellationToken);

    /// <summary>Proposes to stop evaluating a policy; once approved, its answers are removed and no schedule of it runs.</summary>
    public Task<RotationPolicy> ProposeRetirementAsync(Actor admin, Guid policyId, string justification, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(async () =>
        {
            var active = (await ListAsync(cancellationToken)).FirstOrDefault(p => p.PolicyId == policyId && p.State == PolicyState.Active)
                ?? throw new RotationRefusedException($"Policy {policyId} has no active version to retire.", kind: RefusalKind.NotFound);
            return await ProposeCoreAsync(admin, new PolicyProposal(active.Name, active.Scope, active.Rule, justification, policyId, active.Schedule), retires: true, cancellationToken);
        }, cancellationToken);

    private async Task<RotationPolicy> ProposeCoreAsync(Actor admin, PolicyProposal proposal, bool retires, CancellationToken cancellationToken)
    {
        admin.Require(Roles.Admin, "propose a rotation policy");
        PolicyProposalCheck.Check(proposal, _options, _definitions);
        var version = await _store.WriteAsync(async (db, audit) =>
        {
            var versions = proposal.PolicyId is { } id ? await db.RotationPolicies.Where(p => p.PolicyId == id).ToListAsync(cancellationToken) : [];
            if (proposal.PolicyId is { } asked && versions.Count == 0)
            {
                throw new RotationRefusedException($"Policy {asked} does not exist.", kind: RefusalKind.NotFound) { Field = "PolicyId" };
            }

            if (versions.FirstOrDefault(p => p.State == PolicyState.Proposed) is { } pending)
            {
                throw new RotationRefusedException($"Version {pending.Version} of {pending.Name} is still waiting for a decision; approve or reject it first.");
            }

            var name = proposal.Name.Trim();
            if (await db.RotationPolicies.AnyAsync(p => p.Name == name && p.PolicyId != proposal.PolicyId
                    && (p.State == PolicyState.Active || p.State == PolicyState.Proposed), cancellationToken))
            {
                throw new RotationRefusedException($"Another policy is named {name}; give this one another name.", kind: RefusalKind.Invalid) { Field = "Name" };
            }

            var row = new RotationPolicy
            {
                Id = Guid.NewGuid(),
                PolicyId = proposal.PolicyId ?? Guid.NewGuid(),
                Version = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1,
                Name = name,
                Scope = proposal.Scope,
                Rule = proposal.Rule,
                Schedule = proposal.Schedule,
                State = PolicyState.Proposed,
                Retires = retires,
                ProposedBy = admin.UserId,
                ProposedByName = admin.DisplayName,
                ProposedAt = _store.Time.GetUtcNow(),
                Justification = proposal.Justification.Trim(),
            };
            db.RotationPolicies.Add(row);
            await audit.AppendAsync(admin.UserId, retires ? "policy.retirement-proposed" : "policy.proposed", Subject(row),
                $"{Describe(row)}: {row.Justification}");
            return row;
        }, cancellationToken);
        _changes.Publish(new ConsoleChange(ChangeKind.Governance, version.Id));
        return version;
    }

    public Task ApproveAsync(Actor approver, Guid versionId, string? comment, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => DecideAsync(approver, versionId, ApprovalDecision.Approved, comment, cancellationToken), cancellationToken);

    public Task RejectAsync(Actor approver, Guid versionId, string comment, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            throw RotationRefusedException.Missing("Give the reason for the rejection; the proposer reads it.", "comment");
        }

        return Refusals.TranslateAsync(() => DecideAsync(approver, versionId, ApprovalDecision.Rejected, comment, cancellationToken), cancellationToken);
    }

    private async Task DecideAsync(Actor approver, Guid versionId, ApprovalDecision decision, string? comment, CancellationToken cancellationToken)
    {
        var activated = false;
        try
        {
            await _store.WriteAsync(async (db, audit) =>
            {
                var row = await db.RotationPolicies.FirstOrDefaultAsync(p => p.Id == versionId, cancellationToken)
                    ?? throw new RotationRefusedException($"Policy version {versionId} does not exist.", kind: RefusalKind.NotFound);
                row.SignOffs = (await SignOffs.LoadAsync(db, [row.Id], cancellationToken))[row.Id].ToList();
                if (row.State != PolicyState.Proposed)
                {
                    throw new RotationRefusedException($"{row.Title} is {row.State}; only a proposed version can be approved or rejected.");
                }

                var now = _store.Time.GetUtcNow();
                var policy = ApprovalFor(row.Rule);
                var passed = SignOffs.Record(db, row.SignOffs, row.Id, row.ProposedBy, approver, policy, decision, comment, now, $"policy {row.Title}");
                row.Revision++;
                if (decision == ApprovalDecision.Rejected)
                {
                    Decide(row, PolicyState.Rejected, approver, comment, now);
                    await audit.AppendAsync(approver.UserId, "policy.rejected", Subject(row), comment!.Trim());
                    return;
                }

                await audit.AppendAsync(approver.UserId, "policy.approved", Subject(row),
                    $"{SignOffs.Tally(row.SignOffs, row.ProposedBy, policy, now)}{(comment is { Length: > 0 } ? ": " + comment.Trim() : "")}");
                if (!passed)
                {
                    return;
                }

                foreach (var active in await db.RotationPolicies.Where(p => p.PolicyId == row.PolicyId && p.State == PolicyState.Active).ToListAsync(cancellationToken))
                {
                    active.State = PolicyState.Superseded;
                    active.Revision++;
                }

                Decide(row, row.Retires ? PolicyState.Retired : PolicyState.Active, approver, comment, now);
                await audit.AppendAsync(approver.UserId, row.Retires ? "policy.retired" : "policy.activated", Subject(row), Describe(row));
                activated = true;
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RotationRefusedException($"Policy version {versionId} changed while it was decided; look again and retry.");
        }

        _changes.Publish(new ConsoleChange(ChangeKind.Governance, versionId));
        if (activated)
        {
            await _evaluation.EvaluateAsync(cancellationToken);
        }
    }

    private static void Decide(RotationPolicy row, PolicyState state, Actor approver, string? comment, DateTimeOffset now)
    {
        row.State = state;
        row.DecidedByName = approver.DisplayName;
        row.DecidedAt = now;
        row.DecisionComment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
    }

    internal static string Subject(RotationPolicy row) => $"policy/{row.PolicyId} v{row.Version}";

    /// <summary>"KMS.4 v2: Automatic rotation on, every 365 days or less; remedy Enable automatic rotation; scope origin AWS_KMS".</summary>
    internal string Describe(RotationPolicy row) =>
        $"{row.Title}: {ComplianceRules.For(row.Rule.Kind).Describe(row.Rule.Days)}; " +
        $"remedy {(row.Rule.Remedy is { } remedy ? _definitions.LabelOf(remedy) : "none (flag for review)")}; scope {row.Scope.Describe()}" +
        (row.Schedule is { } s ? $"; opens campaigns {(s.Cron is { } cron ? $"on '{cron}' ({s.TimeZone ?? "UTC"})" : $"for keys due within {s.LeadTimeDays} days, daily")}" : "");
}
