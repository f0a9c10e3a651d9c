using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Safety;

/// <summary>
/// An approver's explicit acknowledgement of the high hazards a run's fate gate found: recorded on the run, audited with
/// every hazard and its evidence, and the gate is checked again at once (it passes if its approvals are there too).
/// </summary>
public sealed class HazardAcknowledgements
{
    private readonly RotationStore _store;
    private readonly IWorkflowCatalog _catalog;
    private readonly RunChangeFeed _feed;
    private readonly RotationOptions _options;

    internal HazardAcknowledgements(RotationStore store, IWorkflowCatalog catalog, RunChangeFeed feed, IOptions<RotationOptions> options)
    {
        _store = store;
        _catalog = catalog;
        _feed = feed;
        _options = options.Value;
    }

    /// <summary>The actor may acknowledge the run's hazards now: an approver of its workflow, not its requester, with high hazards pending.</summary>
    public bool MayAcknowledge(Actor actor, Run run) =>
        run.MayBeDecidedBy(actor, _options.PolicyFor(run.Workflow).ApproverRole) && SafetyReview.Of(run).Unacknowledged.Count > 0;

    /// <summary>The actor may acknowledge the hazards of runs of <paramref name="workflow"/> that <paramref name="requestedBy"/> requested (a campaign's keys).</summary>
    public bool MayAcknowledge(Actor actor, WorkflowKind workflow, string requestedBy) =>
        actor.IsIn(_options.PolicyFor(workflow).ApproverRole) && !string.Equals(actor.UserId, requestedBy, StringComparison.OrdinalIgnoreCase);

    public async Task AcknowledgeAsync(Actor approver, Guid runId, string comment, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            throw new RotationRefusedException("Say why the hazards are acceptable: an acknowledgement needs a comment.", kind: RefusalKind.Invalid) { Field = "comment" };
        }

        try
        {
            await _store.WriteAsync(async (db, audit) =>
            {
                var run = await db.Runs.Include(r => r.Steps).Include(r => r.Approvals).AsSplitQuery()
                    .FirstOrDefaultAsync(r => r.Id == runId, cancellationToken)
                    ?? throw new RotationRefusedException($"Run {runId} does not exist.", kind: RefusalKind.NotFound);
                run.Steps.Sort((a, b) => a.Index.CompareTo(b.Index));
                approver.Require(_options.PolicyFor(run.Workflow).ApproverRole, "acknowledge the hazards of this run");
                if (run.IsRequestedBy(approver))
                {
                    throw new RotationAuthorizationException($"{approver.DisplayName} requested run {run.Id}; someone else must acknowledge its hazards.");
                }

                var steps = _catalog.StepsFor(run);
                if (run.State != RunState.AwaitingApproval || run.CurrentStepIndex >= steps.Count || steps[run.CurrentStepIndex].Key != StepKey.OldKeyFateApproval)
                {
                    throw new RotationRefusedException($"Run {run.Id} is not waiting at the gate of the old key's fate; there are no hazards to acknowledge.");
                }

                var pending = SafetyReview.Of(run).Unacknowledged;
                if (pending.Count == 0)
                {
                    throw new RotationRefusedException($"Run {run.Id} has no high hazard left to acknowledge.");
                }

                SafetyReview.Acknowledge(run, pending.Select(h => h.Id), approver.DisplayName);
                run.PassGate();
                run.Version = Guid.NewGuid();
                await audit.AppendAsync(approver.UserId, "hazards.acknowledged", RunEngine.Subject(run),
                    $"{comment.Trim()} — acknowledged: " + string.Join(" | ", pending.Select(h => $"{h.Words} Evidence: {h.Evidence}")), null, run.Id);
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RotationRefusedException($"Run {runId} changed at the same moment (the orchestrator moved it on); look again and retry.");
        }

        _feed.Publish(runId);
    }
}
