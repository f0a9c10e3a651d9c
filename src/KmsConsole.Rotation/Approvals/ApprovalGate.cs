using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Approvals;

/// <summary>
/// A gate passes when it holds the policy's number of approvals that have not expired, none by the
/// requester. An approval that expired before the run got past the gate no longer counts: the run waits
/// for a new one.
/// </summary>
internal sealed class ApprovalGate(ApprovalPolicy policy, string key, string name, string description) : WorkflowStep
{
    public override string Key => key;
    public override string Name => name;
    public override StepKind Kind => StepKind.Gate;
    public override string Description => $"{description} Needs {policy.RequiredApprovals} approval(s) by the {policy.ApproverRole} role, " +
        $"not by the requester; an approval expires after {policy.Lifetime.TotalHours:0.#} hours.";

    public override Task<StepResult> ExecuteAsync(StepContext context)
    {
        var index = context.Run.CurrentStepIndex;
        var now = context.Time.GetUtcNow();
        var valid = ValidApprovals(context.Run, index, now);
        if (valid.Count >= policy.RequiredApprovals)
        {
            return Task.FromResult(new StepResult($"Approved by {string.Join(", ", valid.Select(a => a.ApproverName))}"));
        }

        var expired = context.Run.Approvals.Where(a => a.GateStepIndex == index && a.Decision == ApprovalDecision.Approved && a.ExpiresAt <= now).ToList();
        var missing = policy.RequiredApprovals - valid.Count;
        var reason = expired.Count > 0
            ? $"The approval by {string.Join(", ", expired.Select(a => a.ApproverName))} expired at {expired.Max(a => a.ExpiresAt):u}; approve again ({missing} approval(s) needed)."
            : $"Waiting for {missing} approval(s) by the {policy.ApproverRole} role.";
        return Task.FromResult(StepResult.Waiting(reason));
    }

    public static List<Approval> ValidApprovals(Run run, int gateIndex, DateTimeOffset now) =>
        run.Approvals
            .Where(a => a.GateStepIndex == gateIndex && a.Decision == ApprovalDecision.Approved && a.ExpiresAt > now && a.ApproverId != run.RequestedBy)
            .GroupBy(a => a.ApproverId).Select(g => g.OrderByDescending(a => a.DecidedAt).First())
            .ToList();
}
