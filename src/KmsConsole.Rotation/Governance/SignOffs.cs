namespace KmsConsole.Rotation.Governance;

/// <summary>
/// The approval rule of governance changes, the same as a run's gate (<see cref="Approvals.ApprovalGate"/>): the
/// workflow's approval policy (M of N by its approver role, each approval expiring), never the requester, never the
/// same approver twice.
/// </summary>
internal static class SignOffs
{
    /// <summary>
    /// Records <paramref name="approver"/>'s decision on <paramref name="what"/> after checking the rule; true when the
    /// approvals that count now reach the policy's number (false for a rejection).
    /// </summary>
    public static bool Record(Persistence.RotationDbContext db, List<SignOff> signOffs, Guid subjectId, string requestedBy, Actor approver, ApprovalPolicy policy,
        ApprovalDecision decision, string? comment, DateTimeOffset now, string what)
    {
        approver.Require(policy.ApproverRole, $"approve or reject {what}");
        if (string.Equals(approver.UserId, requestedBy, StringComparison.OrdinalIgnoreCase))
        {
            throw new RotationAuthorizationException($"{approver.DisplayName} requested {what}; someone else must approve or reject it.");
        }

        if (decision == ApprovalDecision.Approved && Valid(signOffs, requestedBy, now).Any(s => string.Equals(s.ApproverId, approver.UserId, StringComparison.OrdinalIgnoreCase)))
        {
            throw new RotationAuthorizationException($"{approver.DisplayName} already approved {what}; another approver is needed.");
        }

        var signOff = new SignOff
        {
            SubjectId = subjectId,
            ApproverId = approver.UserId,
            ApproverName = approver.DisplayName,
            Decision = decision,
            Comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(),
            DecidedAt = now,
            ExpiresAt = now + policy.Lifetime,
        };
        signOffs.Add(signOff);
        db.SignOffs.Add(signOff);
        return decision == ApprovalDecision.Approved && Valid(signOffs, requestedBy, now).Count >= policy.RequiredApprovals;
    }

    /// <summary>The sign-offs of each subject among <paramref name="subjectIds"/>.</summary>
    public static async Task<ILookup<Guid, SignOff>> LoadAsync(Persistence.RotationDbContext db, IReadOnlyCollection<Guid> subjectIds, CancellationToken cancellationToken)
    {
        var ids = subjectIds.ToList();
        var rows = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            db.SignOffs.Where(s => ids.Contains(s.SubjectId)).OrderBy(s => s.DecidedAt), cancellationToken);
        return rows.ToLookup(s => s.SubjectId);
    }

    /// <summary>Approvals that count: not expired, not by the requester, one per approver.</summary>
    public static List<SignOff> Valid(IEnumerable<SignOff> signOffs, string requestedBy, DateTimeOffset now) =>
        signOffs.Where(s => s.Decision == ApprovalDecision.Approved && s.ExpiresAt > now
                            && !string.Equals(s.ApproverId, requestedBy, StringComparison.OrdinalIgnoreCase))
            .GroupBy(s => s.ApproverId, StringComparer.OrdinalIgnoreCase).Select(g => g.MaxBy(s => s.DecidedAt)!)
            .ToList();

    /// <summary>"approved (1 of 2)" for the audit trail.</summary>
    public static string Tally(IEnumerable<SignOff> signOffs, string requestedBy, ApprovalPolicy policy, DateTimeOffset now) =>
        $"approved ({Valid(signOffs, requestedBy, now).Count} of {policy.RequiredApprovals})";
}
