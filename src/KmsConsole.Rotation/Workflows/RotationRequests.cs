using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Approvals;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation;

/// <summary>Requests, approvals, rejections, cancellations, resumptions and roll backs; every check is made here, whatever calls it.</summary>
public sealed class RotationRequests
{
    private readonly Preflight _preflight;
    private readonly IWorkflowCatalog _catalog;
    private readonly RotationStore _store;
    private readonly IKmsClientFactory _clients;
    private readonly RunChangeFeed _feed;
    private readonly RotationOptions _options;
    private readonly Iam.RunPermissionCheck _permissions;
    private readonly ResumePreflight _resume;
    private readonly WorkflowDefinitions _definitions;

    internal RotationRequests(Preflight preflight, IWorkflowCatalog catalog, WorkflowDefinitions definitions, RotationStore store, IKmsClientFactory clients,
        RunChangeFeed feed, IOptions<RotationOptions> options, Iam.RunPermissionCheck permissions)
    {
        _definitions = definitions;
        _permissions = permissions;
        _preflight = preflight;
        _catalog = catalog;
        _store = store;
        _clients = clients;
        _feed = feed;
        _options = options.Value;
        _resume = new ResumePreflight(preflight, catalog, definitions, clients, store, permissions);
    }

    private DateTimeOffset Now => _store.Time.GetUtcNow();

    public Task<PreflightPlan> PreflightAsync(RotationRequest request, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(async () => (await _preflight.RunAsync(request, cancellationToken)).Plan, cancellationToken);

    public Task<Run> SubmitAsync(Actor requester, RotationRequest request, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => SubmitCoreAsync(requester, request, campaignId: null, cancellationToken), cancellationToken);

    /// <summary>A key's run of a campaign: requested as the campaign's requester and marked as the campaign's (its gates are decided on the campaign).</summary>
    internal Task<Run> SubmitForCampaignAsync(Actor requester, RotationRequest request, Guid campaignId, CancellationToken cancellationToken) =>
        Refusals.TranslateAsync(() => SubmitCoreAsync(requester, request, campaignId, cancellationToken), cancellationToken);

    private async Task<Run> SubmitCoreAsync(Actor requester, RotationRequest request, Guid? campaignId, CancellationToken cancellationToken)
    {
        requester.Require(Roles.Requester, "request a rotation");
        if (string.IsNullOrWhiteSpace(request.Justification))
        {
            throw new RotationRefusedException("Give a justification: approvers and auditors read it.", kind: RefusalKind.Invalid)
            {
                Field = nameof(RotationRequest.Justification),
            };
        }

        var outcome = await _preflight.RunAsync(request, cancellationToken);
        if (!outcome.Plan.Allowed)
        {
            throw outcome.Refusal();
        }

        var run = NewRun(requester, request.Workflow, request.Target, outcome.Plan.Key.KeyId, outcome.KeyArn, outcome.AliasName,
            request.Parameters, request.Justification.Trim());
        run.CampaignId = campaignId;
        run.PermissionCheck = Record(outcome.Plan.Permissions?.Report);
        await InsertAsync(run, requester, "run.requested",
            $"{request.Workflow} requested: {request.Justification.Trim()}{PermissionNote(run)}", cancellationToken);
        return run;
    }

    public Task ApproveAsync(Actor approver, Guid runId, string? comment, CancellationToken cancellationToken = default) =>
        DecideAsync(approver, runId, ApprovalDecision.Approved, comment, cancellationToken);

    public Task RejectAsync(Actor approver, Guid runId, string comment, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            throw RotationRefusedException.Missing("Give the reason for the rejection; the requester reads it.", "comment");
        }

        return DecideAsync(approver, runId, ApprovalDecision.Rejected, comment, cancellationToken);
    }

    private async Task DecideAsync(Actor approver, Guid runId, ApprovalDecision decision, string? comment, CancellationToken cancellationToken)
    {
        await ChangeRunAsync(runId, async (_, run, audit) =>
        {
            var policy = _options.PolicyFor(run.Workflow);
            approver.Require(policy.ApproverRole, "approve or reject this run");
            if (run.State != RunState.AwaitingApproval)
            {
                throw new RotationRefusedException($"Run {run.Id} is {run.State}; only a run waiting for approval can be approved or rejected.");
            }

            // The gate itself, or the gate a resumed run must pass again before its current step (see ResumeAsync).
            var gate = run.GateAwaitingDecision() ?? throw new RotationRefusedException(run.IsStepWaitingOnItsOwn
                ? $"Run {run.Id} is at \"{run.CurrentStep?.Name}\", which waits on its own and is not an approval gate: nothing there is approved or rejected."
                : $"Run {run.Id} is not at an approval gate.");
            if (run.IsRequestedBy(approver))
            {
                throw new RotationAuthorizationException($"{approver.DisplayName} requested run {run.Id}; someone else must approve or reject it.");
            }

            var now = Now;
            if (run.Approvals.Any(a => a.GateStepIndex == gate.Index && a.Decision == ApprovalDecision.Approved && a.ExpiresAt > now
                    && string.Equals(a.ApproverId, approver.UserId, StringComparison.OrdinalIgnoreCase)))
            {
                throw new RotationAuthorizationException($"{approver.DisplayName} already approved this gate of run {run.Id}; another approver is needed.");
            }

            run.Approvals.Add(new Approval
            {
                RunId = run.Id,
                GateStepIndex = gate.Index,
                ApproverId = approver.UserId,
                ApproverName = approver.DisplayName,
                Decision = decision,
                Comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim(),
                DecidedAt = now,
                ExpiresAt = now + policy.Lifetime,
            });

            if (decision == ApprovalDecision.Rejected)
            {
                run.Reject(approver.DisplayName, comment!.Trim(), now);
                await audit.AppendAsync(approver.UserId, "run.rejected", RunEngine.Subject(run), $"{gate.Name}: {comment.Trim()}", null, run.Id);
                return;
            }

            var valid = ApprovalGate.ValidApprovals(run, gate.Index, now);
            if (valid.Count >= policy.RequiredApprovals)
            {
                run.PassGate();
            }

            await audit.AppendAsync(approver.UserId, "run.approved", RunEngine.Subject(run),
                $"{gate.Name}: approved ({valid.Count} of {policy.RequiredApprovals}){(comment is { Length: > 0 } ? ": " + comment.Trim() : "")}", null, run.Id);
        }, cancellationToken);
    }

    /// <summary>
    /// Cancels a run that has not passed its last approval gate. A run waiting at a gate or in the queue ends at once. A run
    /// in the middle of a step gets a cancel request, recorded now: the orchestrator finishes the step it is in (never
    /// stopping inside a KMS call) and ends the run before the next step.
    /// </summary>
    /// <returns>Cancelled when the run ended at once; Running when it stops before its next step.</returns>
    public async Task<RunState> CancelAsync(Actor actor, Guid runId, string reason, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw RotationRefusedException.Missing("Give the reason for cancelling the run.", "reason");
        }

        var outcome = RunState.Cancelled;
        await ChangeRunAsync(runId, async (_, run, audit) =>
        {
            RequireRequesterOrApprover(actor, run, "cancel");
            if (run.CancelRefusal() is { } refusal)
            {
                throw new RotationRefusedException(refusal);
            }

            var now = Now;
            if (run.State == RunState.Running)
            {
                run.RequestCancel(actor, reason.Trim(), now);
                var current = run.Steps.Single(s => s.Index == run.CurrentStepIndex);
                await audit.AppendAsync(actor.UserId, "run.cancel-requested", RunEngine.Subject(run),
                    $"{reason.Trim()} (the run stops once step {current.Index + 1} \"{current.Name}\" is done, before its next step)", null, run.Id);
                outcome = RunState.Running;
                return;
            }

            run.Cancel($"Cancelled by {actor.DisplayName}: {reason.Trim()}", now);
            await audit.AppendAsync(actor.UserId, "run.cancelled", RunEngine.Subject(run), reason.Trim(), null, run.Id);
        }, cancellationToken, keepVersion: run => run.State == RunState.Running);
        return outcome;
    }

    /// <summary>
    /// Continues a failed run at the step that failed, once the preflight passes again against the key as it is now.
    /// The run takes its key and alias locks back and is queued; the orchestrator repeats the step, whose check for
    /// its own effect (FindDoneAsync) keeps that safe. When the approval the run last passed has expired since, the run
    /// waits at that step for a fresh approval of that gate instead (no step already done runs again).
    /// </summary>
    /// <returns>Queued, or AwaitingApproval when a fresh approval is needed.</returns>
    public Task<RunState> ResumeAsync(Actor actor, Guid runId, string reason, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => ResumeCoreAsync(actor, runId, reason, cancellationToken), cancellationToken);

    private async Task<RunState> ResumeCoreAsync(Actor actor, Guid runId, string reason, CancellationToken cancellationToken)
    {
        Run seen;
        await using (var db = await _store.ReadAsync(cancellationToken))
        {
            seen = await db.Runs.AsNoTracking().Include(r => r.Steps).Include(r => r.Approvals).AsSplitQuery()
                .FirstOrDefaultAsync(r => r.Id == runId, cancellationToken)
                ?? throw new RotationRefusedException($"Run {runId} does not exist.", kind: RefusalKind.NotFound);
        }

        seen.Steps.Sort((a, b) => a.Index.CompareTo(b.Index));
        reason = ReasonToResume(seen, reason);
        var failed = ResumableStep(actor, seen);
        var check = await _resume.RunAsync(seen, failed, cancellationToken);
        if (check.Refusals.Count > 0)
        {
            throw new RotationRefusedException($"Run {seen.Id} cannot resume: {string.Join(" ", check.Refusals)}", check.Refusals);
        }

        var resumedAs = RunState.Queued;
        try
        {
            await ChangeRunAsync(runId, async (db, run, audit) =>
            {
                if (run.Version != seen.Version)
                {
                    throw new RotationRefusedException($"Run {run.Id} changed while it was checked; look again and retry.");
                }

                var step = ResumableStep(actor, run);
                if (await Preflight.ActiveRunOnAsync(db, run.Target, run.KeyId, run.AliasName, run.Id, cancellationToken) is { } other)
                {
                    throw new RotationRefusedException($"Run {run.Id} cannot resume: run {other.Id} ({other.Workflow}, {other.State}) is active on " +
                        $"{run.AliasName ?? run.KeyId}; one run at a time per key and alias. Let it finish or cancel it first.");
                }

                var now = Now;
                var policy = _options.PolicyFor(run.Workflow);
                var gate = run.Steps.Where(s => s.Kind == StepKind.Gate && s.Index < step.Index).MaxBy(s => s.Index);
                var fresh = gate is null ? 0 : ApprovalGate.ValidApprovals(run, gate.Index, now).Count(a => a.DecidedAt + policy.Lifetime > now);
                var reapprove = gate is not null && fresh < policy.RequiredApprovals;

                var previousError = run.Error ?? $"{step.ErrorCode}: {step.ErrorMessage}";
                var withdrawnCancel = run.CancelRequestedAt is null ? string.Empty
                    : $"; the cancel {run.CancelRequestedByName} had asked for before it failed is withdrawn";
                var reapproval = reapprove
                    ? $"Resumed after the approval of \"{gate!.Name}\" expired: {policy.RequiredApprovals} fresh approval(s) by the " +
                      $"{policy.ApproverRole} role are needed before this step runs again."
                    : null;
                resumedAs = run.Resume(reapproval, Preflight.KeyLock(run.Target, run.KeyId),
                    run.AliasName is null ? null : Preflight.KeyLock(run.Target, run.AliasName));
                var permissionNote = check.Permissions is { } report ? $" ({Iam.RecordedPermissionCheck.From(report, now).Describe()} now)" : string.Empty;
                await audit.AppendAsync(actor.UserId, "run.resumed", RunEngine.Subject(run),
                    $"{step.Name} again, after {previousError}: {reason.Trim()}{permissionNote}" +
                    (reapprove ? $"; the approval of {gate!.Name} expired, so it waits for a fresh one" : string.Empty) + withdrawnCancel, null, run.Id);
            }, cancellationToken);
        }
        catch (DbUpdateException e) when (e is not DbUpdateConcurrencyException)
        {
            // The unique lock indexes: another run was requested on the key or alias between the check and the save.
            throw new RotationRefusedException($"Run {seen.Id} cannot resume: another run became active on {seen.AliasName ?? seen.KeyId}; " +
                "one run at a time per key and alias.");
        }

        return resumedAs;
    }

    /// <summary>
    /// Whether resuming <paramref name="run"/> needs a reason: not when its failed step failed only on a transient KMS error
    /// (throttling, a 5xx, a timeout) that outlasted the step's retries, since nothing has to change before trying again.
    /// </summary>
    public static bool ResumeNeedsReason(Run run) =>
        !(run.Steps.SingleOrDefault(s => s.Index == run.CurrentStepIndex) is { State: StepState.Failed, ErrorCode: var code } && KmsErrorPolicy.IsTransientCode(code));

    private static string ReasonToResume(Run run, string? reason) =>
        !string.IsNullOrWhiteSpace(reason) ? reason
        : ResumeNeedsReason(run) ? throw RotationRefusedException.Missing("Give the reason for resuming the run: say what changed since it failed.", "reason")
        : "it failed only on transient KMS errors, so it is tried again as it is";

    /// <summary>Who may resume which run: its requester or an approver, a Failed run, failed at an action (a gate's refusal is a rejection).</summary>
    private RunStep ResumableStep(Actor actor, Run run)
    {
        RequireRequesterOrApprover(actor, run, "resume");
        if (run.ResumeRefusal() is { } refusal)
        {
            throw new RotationRefusedException(refusal);
        }

        return run.Steps.Single(s => s.Index == run.CurrentStepIndex);
    }

    public Task<Run> RequestRollBackAsync(Actor actor, Guid runId, string justification, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => RequestRollBackCoreAsync(actor, runId, justification, cancellationToken), cancellationToken);

    private async Task<Run> RequestRollBackCoreAsync(Actor actor, Guid runId, string justification, CancellationToken cancellationToken)
    {
        actor.Require(Roles.Requester, "request a roll back");
        if (string.IsNullOrWhiteSpace(justification))
        {
            throw RotationRefusedException.Missing("Give a justification for the roll back.", "justification");
        }

        Run original;
        await using (var db = await _store.ReadAsync(cancellationToken))
        {
            original = await db.Runs.AsNoTracking().Include(r => r.Steps).FirstOrDefaultAsync(r => r.Id == runId, cancellationToken)
                ?? throw new RotationRefusedException($"Run {runId} does not exist.", kind: RefusalKind.NotFound);
        }

        original.Steps.Sort((a, b) => a.Index.CompareTo(b.Index));
        if (RollBackRefusal(original) is { } refusal)
        {
            throw refusal;
        }

        var alias = original.AliasName!;
        var kms = _clients.Create(original.Target);
        var previous = await KmsKeys.FindAsync(kms, original.KeyId, cancellationToken)
            ?? throw new RotationRefusedException($"The previous key {original.KeyId} no longer exists on target '{original.Target}'.");
        if (previous.KeyState != KeyState.Enabled)
        {
            throw new RotationRefusedException($"The previous key {original.KeyId} is {previous.KeyState}; {original.AliasName} can only go back to a usable (Enabled) key.");
        }

        var current = await KmsKeys.FindAsync(kms, alias, cancellationToken)
            ?? throw new RotationRefusedException($"{original.AliasName} no longer exists on target '{original.Target}'; there is nothing to roll back.");
        if (current.KeyId != original.NewKeyId)
        {
            throw new RotationRefusedException($"{original.AliasName} now points at {current.KeyId}, not at the key run {original.Id} created; it changed since.");
        }

        var parameters = new RotationParameters { RollBackOf = original.Id };
        var rollBack = _definitions[WorkflowKind.RollBack];
        var resources = await _preflight.ResourcesAsync(kms, previous.Arn, alias, rollBack, cancellationToken);
        var permissions = await _permissions.CheckAsync(original.Target, rollBack, resources, parameters, cancellationToken);
        if (permissions.Refusal is { } missing)
        {
            throw new RotationRefusedException(missing, permissions.Report?.Refusals ?? [missing]);
        }

        var run = NewRun(actor, WorkflowKind.RollBack, original.Target, original.KeyId, previous.Arn, original.AliasName,
            parameters, justification.Trim());
        run.PermissionCheck = Record(permissions.Report);
        run.Values[Safety.PointReplicaAliasesStep.SwappedKeyValue] = original.NewKeyId!;
        await InsertAsync(run, actor, "run.rollback-requested", $"Roll back of run {original.Id}: {justification.Trim()}{PermissionNote(run)}", cancellationToken);
        return run;
    }

    /// <summary>The workflows that fit the key as the key list last saw it (each definition says which keys it fits).</summary>
    public IReadOnlyList<WorkflowKind> WorkflowsFor(KeySummary key) => _definitions.Fitting(key).Select(d => d.Kind).ToList();

    /// <summary>
    /// Why the run cannot be rolled back, whoever asks (before KMS is asked whether the previous key is usable and the
    /// alias still on the new key); null when it can: a finished run of a workflow that can be rolled back, whose alias move succeeded.
    /// </summary>
    public RotationRefusedException? RollBackRefusal(Run run)
    {
        var workflow = _definitions[run.Workflow];
        var moveStep = workflow.AliasMoveStepKey is { } key ? _catalog.StepsFor(run).Select((s, i) => (s, i)).FirstOrDefault(x => x.s.Key == key) : default;
        var aliasMoved = moveStep.s is not null && run.Steps.Any(s => s.Index == moveStep.i && s.State == StepState.Succeeded);
        return run.RollBackRefusal(workflow, aliasMoved) is { } reason ? new RotationRefusedException(reason) : null;
    }

    private Run NewRun(Actor requester, WorkflowKind workflow, string target, string keyId, string? keyArn, string? alias,
        RotationParameters parameters, string justification)
    {
        var run = new Run
        {
            Id = Guid.NewGuid(),
            Workflow = workflow,
            Target = target,
            KeyId = keyId,
            KeyArn = keyArn,
            AliasName = alias,
            Parameters = parameters,
            State = RunState.AwaitingApproval,
            RequestedBy = requester.UserId,
            RequestedByName = requester.DisplayName,
            Justification = justification,
            CreatedAt = Now,
            ActiveKeyLock = Preflight.KeyLock(target, keyId),
            ActiveAliasLock = alias is null ? null : Preflight.KeyLock(target, alias),
            Version = Guid.NewGuid(),
        };
        run.Steps = _catalog.StepsFor(run).Select((s, i) => new RunStep
        {
            RunId = run.Id,
            Index = i,
            Name = s.Name,
            Kind = s.Kind,
            State = i == 0 ? StepState.AwaitingApproval : StepState.Pending,
        }).ToList();
        return run;
    }

    private async Task InsertAsync(Run run, Actor actor, string action, string details, CancellationToken cancellationToken)
    {
        try
        {
            await _store.WriteAsync(async (db, audit) =>
            {
                db.Runs.Add(run);
                await audit.AppendAsync(actor.UserId, action, RunEngine.Subject(run), details, null, run.Id);
            }, cancellationToken);
        }
        catch (DbUpdateException)
        {
            await using var db = await _store.ReadAsync(cancellationToken);
            if (await Preflight.ActiveRunOnAsync(db, run.Target, run.KeyId, run.AliasName, run.Id, cancellationToken) is not null)
            {
                throw new RotationRefusedException($"Another run is already active on {run.AliasName ?? run.KeyId}; one run at a time per key and alias.");
            }

            throw;
        }

        _feed.Publish(run.Id);
    }

    /// <param name="keepVersion">
    /// True for a change the orchestrator holding the run must not see as a conflict (a cancel request while a step runs):
    /// the version stays, so its next save still succeeds, and it never writes the fields changed here. The save still
    /// checks the version, so the change is refused if the orchestrator moved the run on meanwhile.
    /// </param>
    private async Task ChangeRunAsync(Guid runId, Func<RotationDbContext, Run, AuditWriter, Task> change, CancellationToken cancellationToken,
        Func<Run, bool>? keepVersion = null)
    {
        try
        {
            await _store.WriteAsync(async (db, audit) =>
            {
                var run = await db.Runs.Include(r => r.Steps).Include(r => r.Approvals).AsSplitQuery()
                    .FirstOrDefaultAsync(r => r.Id == runId, cancellationToken)
                    ?? throw new RotationRefusedException($"Run {runId} does not exist.", kind: RefusalKind.NotFound);
                await change(db, run, audit);
                if (keepVersion?.Invoke(run) != true)
                {
                    run.Version = Guid.NewGuid();
                }
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RotationRefusedException($"Run {runId} changed at the same moment (the orchestrator moved it on); look again and retry.");
        }

        _feed.Publish(runId);
    }

    private Iam.RecordedPermissionCheck? Record(Iam.PermissionReport? report) =>
        report is null ? null : Iam.RecordedPermissionCheck.From(report, Now);

    private static string PermissionNote(Run run) => run.PermissionCheck is { } check ? $" ({check.Describe()})" : string.Empty;

    /// <summary>The actor may decide the run's gate now (the run's rule, with the approver role of its workflow); checked again on use.</summary>
    public bool MayDecide(Actor actor, Run run) => run.MayBeDecidedBy(actor, _options.PolicyFor(run.Workflow).ApproverRole);

    /// <summary>The run's own requester (as a Requester) or an approver of its workflow.</summary>
    public bool MayCancelOrResume(Actor actor, Run run) => run.IsOwnedOrApprovableBy(actor, _options.PolicyFor(run.Workflow).ApproverRole);

    /// <summary>The actor may cancel the run now: its requester or an approver, and the run has not passed its last gate (<see cref="Run.CancelRefusal"/>).</summary>
    public bool MayCancel(Actor actor, Run run) => MayCancelOrResume(actor, run) && run.CancelRefusal() is null;

    /// <summary>The actor may roll the run back now: a requester, and the run's own rules allow it (<see cref="RollBackRefusal"/>).</summary>
    public bool MayRollBack(Actor actor, Run run) => actor.IsIn(Roles.Requester) && RollBackRefusal(run) is null;

    /// <summary>The actor may resume the run now: its requester or an approver, and it failed at an action step (<see cref="Run.ResumeRefusal"/>).</summary>
    public bool MayResume(Actor actor, Run run) => MayCancelOrResume(actor, run) && run.ResumeRefusal() is null;

    /// <summary>Cancelling and resuming are for the run's own requester or for an approver of its workflow.</summary>
    private void RequireRequesterOrApprover(Actor actor, Run run, string verb)
    {
        if (!MayCancelOrResume(actor, run))
        {
            throw new RotationAuthorizationException($"{actor.DisplayName} may not {verb} run {run.Id}: only its requester or an approver can.");
        }
    }
}
