using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Governance;

/// <summary>An exemption of one key from one policy, until <see cref="ExpiresAt"/>.</summary>
public sealed record ExemptionRequest(Guid PolicyId, string Target, string KeyId, string Reason, DateTimeOffset ExpiresAt);

/// <summary>
/// Exemptions: requested with a reason and an expiry, approved by someone other than the requester under the policy's
/// approval rule, revoked by an Admin, audited throughout. Expired exemptions stop counting at the next evaluation.
/// </summary>
public sealed class PolicyExemptions
{
    /// <summary>An exemption is for a while, not forever: at most this far ahead.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(366);

    private readonly RotationStore _store;
    private readonly RotationPolicies _policies;
    private readonly ComplianceEvaluation _evaluation;
    private readonly IChangeFeed _changes;

    internal PolicyExemptions(RotationStore store, RotationPolicies policies, ComplianceEvaluation evaluation, IChangeFeed changes)
    {
        _store = store;
        _policies = policies;
        _evaluation = evaluation;
        _changes = changes;
    }

    public async Task<IReadOnlyList<PolicyExemption>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var all = await db.PolicyExemptions.AsNoTracking().ToListAsync(cancellationToken);
        var signOffs = await SignOffs.LoadAsync(db, all.Select(e => e.Id).ToList(), cancellationToken);
        all.ForEach(e => e.SignOffs = signOffs[e.Id].ToList());
        return all.OrderByDescending(e => e.RequestedAt).ToList();
    }

    public Task<PolicyExemption> RequestAsync(Actor requester, ExemptionRequest request, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(async () =>
        {
            requester.Require(Roles.Requester, "request an exemption");
            var now = _store.Time.GetUtcNow();
            if (string.IsNullOrWhiteSpace(request.Reason))
            {
                throw RotationRefusedException.Missing("Give the reason for the exemption: approvers and auditors read it.", "Reason");
            }

            if (request.ExpiresAt <= now || request.ExpiresAt > now + MaxDuration)
            {
                throw new RotationRefusedException($"An exemption expires after now and at most {MaxDuration.TotalDays:0} days ahead; " +
                    $"{request.ExpiresAt:u} was asked.", kind: RefusalKind.Invalid) { Field = "ExpiresAt" };
            }

            var exemption = await _store.WriteAsync(async (db, audit) =>
            {
                var policy = await db.RotationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PolicyId == request.PolicyId && p.State == PolicyState.Active, cancellationToken)
                    ?? throw new RotationRefusedException($"Policy {request.PolicyId} has no active version.", kind: RefusalKind.NotFound) { Field = "PolicyId" };
                if (!await db.KeySnapshots.AnyAsync(k => k.Target == request.Target && k.KeyId == request.KeyId, cancellationToken))
                {
                    throw new RotationRefusedException($"Key {request.KeyId} on {request.Target} is not in the inventory.", kind: RefusalKind.NotFound) { Field = "KeyId" };
                }

                if (await db.PolicyExemptions.AnyAsync(e => e.PolicyId == request.PolicyId && e.Target == request.Target && e.KeyId == request.KeyId
                        && e.State == ExemptionState.Requested, cancellationToken))
                {
                    throw new RotationRefusedException($"An exemption of {request.KeyId} from {policy.Name} is already waiting for a decision.");
                }

                var row = new PolicyExemption
                {
                    Id = Guid.NewGuid(),
                    PolicyId = request.PolicyId,
                    Target = request.Target,
                    KeyId = request.KeyId,
                    Reason = request.Reason.Trim(),
                    ExpiresAt = request.ExpiresAt,
                    State = ExemptionState.Requested,
                    RequestedBy = requester.UserId,
                    RequestedByName = requester.DisplayName,
                    RequestedAt = now,
                };
                db.PolicyExemptions.Add(row);
                await audit.AppendAsync(requester.UserId, "exemption.requested", Subject(row),
                    $"from {policy.Title} until {row.ExpiresAt:u}: {row.Reason}");
                return row;
            }, cancellationToken);
            _changes.Publish(new ConsoleChange(ChangeKind.Governance, exemption.Id));
            return exemption;
        }, cancellationToken);

    public Task ApproveAsync(Actor approver, Guid exemptionId, string? comment, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => DecideAsync(approver, exemptionId, ApprovalDecision.Approved, comment, cancellationToken), cancellationToken);

    public Task RejectAsync(Actor approver, Guid exemptionId, string comment, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            throw RotationRefusedException.Missing("Give the reason for the rejection; the requester reads it.", "comment");
        }

        return Refusals.TranslateAsync(() => DecideAsync(approver, exemptionId, ApprovalDecision.Rejected, comment, cancellationToken), cancellationToken);
    }

    /// <summary>Ends an approved exemption before its expiry (an Admin's decision, audited).</summary>
    public Task RevokeAsync(Actor admin, Guid exemptionId, string reason, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(async () =>
        {
            admin.Require(Roles.Admin, "revoke an exemption");
            if (string.IsNullOrWhiteSpace(reason))
            {
                throw RotationRefusedException.Missing("Give the reason for revoking the exemption.", "reason");
            }

            await ChangeAsync(exemptionId, async (_, row, audit, now) =>
            {
                if (row.State != ExemptionState.Approved)
                {
                    throw new RotationRefusedException($"The exemption is {row.State}; only an approved one can be revoked.");
                }

                row.State = ExemptionState.Revoked;
                row.DecidedByName = admin.DisplayName;
                row.DecidedAt = now;
                row.DecisionComment = reason.Trim();
                await audit.AppendAsync(admin.UserId, "exemption.revoked", Subject(row), reason.Trim());
                return true;
            }, cancellationToken);
        }, cancellationToken);

    private Task DecideAsync(Actor approver, Guid exemptionId, ApprovalDecision decision, string? comment, CancellationToken cancellationToken) =>
        ChangeAsync(exemptionId, async (db, row, audit, now) =>
        {
            if (row.State != ExemptionState.Requested)
            {
                throw new RotationRefusedException($"The exemption is {row.State}; only a requested one can be approved or rejected.");
            }

            var policy = await db.RotationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PolicyId == row.PolicyId && p.State == PolicyState.Active, cancellationToken);
            var approval = policy is null ? new ApprovalPolicy() : _policies.ApprovalFor(policy.Rule);
            var passed = SignOffs.Record(db, row.SignOffs, row.Id, row.RequestedBy, approver, approval, decision, comment, now, $"the exemption of {row.KeyId}");
            if (decision == ApprovalDecision.Rejected)
            {
                row.State = ExemptionState.Rejected;
                row.DecidedByName = approver.DisplayName;
                row.DecidedAt = now;
                row.DecisionComment = comment!.Trim();
                await audit.AppendAsync(approver.UserId, "exemption.rejected", Subject(row), comment.Trim());
                return false;
            }

            await audit.AppendAsync(approver.UserId, "exemption.approved", Subject(row),
                $"{SignOffs.Tally(row.SignOffs, row.RequestedBy, approval, now)}{(comment is { Length: > 0 } ? ": " + comment.Trim() : "")}");
            if (passed)
            {
                row.State = ExemptionState.Approved;
                row.DecidedByName = approver.DisplayName;
                row.DecidedAt = now;
                row.DecisionComment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
            }

            return passed;
        }, cancellationToken);

    /// <summary>Loads, changes and saves one exemption with its audit event; re-evaluates compliance when it started or stopped counting.</summary>
    private async Task ChangeAsync(Guid exemptionId, Func<RotationDbContext, PolicyExemption, AuditWriter, DateTimeOffset, Task<bool>> change, CancellationToken cancellationToken)
    {
        bool counted;
        try
        {
            counted = await _store.WriteAsync(async (db, audit) =>
            {
                var row = await db.PolicyExemptions.FirstOrDefaultAsync(e => e.Id == exemptionId, cancellationToken)
                    ?? throw new RotationRefusedException($"Exemption {exemptionId} does not exist.", kind: RefusalKind.NotFound);
                row.SignOffs = (await SignOffs.LoadAsync(db, [row.Id], cancellationToken))[row.Id].ToList();
                row.Revision++;
                return await change(db, row, audit, _store.Time.GetUtcNow());
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RotationRefusedException($"Exemption {exemptionId} changed while it was decided; look again and retry.");
        }

        _changes.Publish(new ConsoleChange(ChangeKind.Governance, exemptionId));
        if (counted)
        {
            await _evaluation.EvaluateAsync(cancellationToken);
        }
    }

    internal static string Subject(PolicyExemption row) => $"policy/{row.PolicyId} key/{row.Target}/{row.KeyId}";
}
