using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// Runs released campaigns as ordinary per-key runs: it starts waiting keys up to the campaign's concurrency limit
/// (a run requested as the campaign's requester and passed through its first gate by the campaign's approvers, under
/// the run's own approval rule), follows each run to its end, and ends the campaign when every key has. The orchestrator
/// runs the runs (steps, locks, leases, audit, resume); throttling only slows them (the clients pace and retry). One
/// key's failure never stops the others.
/// </summary>
internal sealed class CampaignDriver(RotationStore store, RotationRequests requests, IChangeFeed changes, IOptions<RotationOptions> options,
    Runs.IWorkflowCatalog catalog, ILogger<CampaignDriver> logger)
{
    /// <summary>One pass over every active campaign; returns how many keys it started or saw end.</summary>
    public async Task<int> AdvanceAsync(CancellationToken cancellationToken)
    {
        List<Guid> active;
        await using (var db = await store.ReadAsync(cancellationToken))
        {
            active = await db.Campaigns.AsNoTracking()
                .Where(c => c.State == CampaignState.Running || c.Keys.Any(k => k.State == CampaignKeyState.Running))
                .OrderBy(c => c.CreatedAt).Select(c => c.Id).ToListAsync(cancellationToken);
        }

        var moved = 0;
        foreach (var id in active)
        {
            moved += await FollowRunsAsync(id, cancellationToken);
            moved += await PassGatesAsync(id, CampaignGate.Fate, cancellationToken);
            moved += await PassGatesAsync(id, CampaignGate.Deletion, cancellationToken);
            moved += await StartKeysAsync(id, cancellationToken);
        }

        if (moved > 0)
        {
            changes.Publish(new ConsoleChange(ChangeKind.Governance));
        }

        return moved;
    }

    /// <summary>Copies each started key's run end onto the key; ends the campaign once no key waits or runs.</summary>
    private async Task<int> FollowRunsAsync(Guid campaignId, CancellationToken cancellationToken) =>
        await store.WriteAsync(async (db, audit) =>
        {
            var campaign = await db.Campaigns.Include(c => c.Keys).FirstAsync(c => c.Id == campaignId, cancellationToken);
            var running = campaign.Keys.Where(k => k.State == CampaignKeyState.Running && k.RunId is not null).ToList();
            var runIds = running.Select(k => k.RunId!.Value).ToList();
            var runs = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id)).Select(r => new { r.Id, r.State, r.Error })
                .ToDictionaryAsync(r => r.Id, cancellationToken);
            var ended = 0;
            foreach (var key in running)
            {
                if (runs.TryGetValue(key.RunId!.Value, out var run) && EndOf(run.State) is { } state)
                {
                    key.State = state;
                    key.Outcome = state == CampaignKeyState.Succeeded ? "Succeeded" : $"{run.State}{(run.Error is { } e ? ": " + e : "")}";
                    ended++;
                }
            }

            var now = store.Time.GetUtcNow();
            if (campaign.State is CampaignState.Running or CampaignState.Cancelled && campaign.Keys.All(k => k.State is not (CampaignKeyState.Waiting or CampaignKeyState.Running)))
            {
                if (campaign.State == CampaignState.Running)
                {
                    campaign.State = CampaignState.Finished;
                    campaign.FinishedAt = now;
                    ended++;
                }

                await audit.AppendAsync("campaign", "campaign.finished", Campaigns.Subject(campaign), $"{CampaignProgress.Of(campaign)}");
            }

            if (ended > 0)
            {
                campaign.Revision++;
            }

            return ended;
        }, cancellationToken);

    /// <summary>
    /// Claims up to the free slots of waiting keys (saved as running before any run is requested, so a second instance
    /// does not start them too: the campaign's revision refuses its save), then requests and approves each key's run.
    /// </summary>
    private async Task<int> StartKeysAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        Campaign campaign;
        List<CampaignKey> claimed;
        try
        {
            (campaign, claimed) = await store.WriteAsync(async (db, _) =>
            {
                var c = await db.Campaigns.Include(x => x.Keys).FirstAsync(x => x.Id == campaignId, cancellationToken);
                if (c.State != CampaignState.Running)
                {
                    return (c, new List<CampaignKey>());
                }

                var free = c.Concurrency - c.Keys.Count(k => k.State == CampaignKeyState.Running);
                var keys = c.Keys.Where(k => k.State == CampaignKeyState.Waiting).OrderBy(k => k.Index).Take(Math.Max(0, free)).ToList();
                keys.ForEach(k => k.State = CampaignKeyState.Running);
                if (keys.Count > 0)
                {
                    c.Revision++;
                    c.SignOffs = (await SignOffs.LoadAsync(db, [c.Id], cancellationToken))[c.Id].ToList();
                }

                return (c, keys);
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return 0; // another instance moved the campaign meanwhile; the next pass looks again
        }

        if (claimed.Count == 0)
        {
            return 0;
        }

        var policy = options.Value.PolicyFor(campaign.Workflow);
        var requester = new Actor(campaign.RequestedBy, campaign.RequestedByName, new HashSet<string> { Roles.Requester });
        // The approvals that released the campaign, as they counted then; each run gets them as fresh approvals of its own gate.
        var approvers = SignOffs.Valid(campaign.SignOffs, campaign.RequestedBy, campaign.DecidedAt ?? store.Time.GetUtcNow())
            .Take(policy.RequiredApprovals)
            .Select(s => new Actor(s.ApproverId, s.ApproverName, new HashSet<string> { policy.ApproverRole })).ToList();
        var started = new List<(int Index, Guid? RunId, string? Error)>();
        foreach (var key in claimed)
        {
            try
            {
                var run = await requests.SubmitForCampaignAsync(requester, new RotationRequest(campaign.Target, key.KeyId, campaign.Workflow, campaign.Parameters,
                    $"Campaign {campaign.Id}: {campaign.Justification}"), campaign.Id, cancellationToken);
                // The campaign's one approval passes each run's first gate, through the run's own rule (never its requester, M of N).
                foreach (var approver in approvers)
                {
                    await requests.ApproveAsync(approver, run.Id, $"released with campaign {campaign.Id}", cancellationToken);
                }

                started.Add((key.Index, run.Id, null));
            }
            catch (RotationRefusedException refused)
            {
                logger.LogWarning("Campaign {Campaign}: key {KeyId} could not start: {Reason}", campaign.Id, key.KeyId, refused.Message);
                started.Add((key.Index, null, refused.Message));
            }
        }

        await store.WriteAsync(async (db, _) =>
        {
            var keys = await db.CampaignKeys.Where(k => k.CampaignId == campaignId).ToDictionaryAsync(k => k.Index, cancellationToken);
            foreach (var (index, runId, error) in started)
            {
                keys[index].RunId = runId;
                if (error is not null)
                {
                    keys[index].State = CampaignKeyState.Failed;
                    keys[index].Outcome = $"Could not start: {error}";
                }
            }
        }, cancellationToken);
        return started.Count;
    }

    /// <summary>
    /// Once the campaign's approvers decided one of its gates (the old keys' fate; a staged retirement's deletion), each
    /// key's run waiting at its own such gate gets that decision through the run's own rule, exactly as its first gate got
    /// the campaign's release: approved by the approvers who released it (never the requester), or rejected. A high hazard
    /// of the key still stops its run at the fate gate (the gate itself checks them) until an approver acknowledges it on
    /// the run's page; a run reaches the deletion gate only once its watch found its old key disabled and unused.
    /// </summary>
    private async Task<int> PassGatesAsync(Guid campaignId, CampaignGate which, CancellationToken cancellationToken)
    {
        Campaign campaign;
        List<Run> atGate;
        FateGate? gate;
        List<SignOff> signOffs;
        var firstAtGate = false;
        await using (var db = await store.ReadAsync(cancellationToken))
        {
            campaign = await db.Campaigns.AsNoTracking().Include(c => c.Keys).FirstAsync(c => c.Id == campaignId, cancellationToken);
            gate = CampaignFates.GateOf(catalog, campaign, which);
            if (gate is null)
            {
                return 0;
            }

            var subject = CampaignFates.SubjectOf(campaignId, which);
            signOffs = (await SignOffs.LoadAsync(db, [subject], cancellationToken))[subject].ToList();
            var runIds = campaign.Keys.Where(k => k.State == CampaignKeyState.Running && k.RunId != null).Select(k => k.RunId!.Value).ToList();
            var waiting = db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id) && r.State == RunState.AwaitingApproval && r.CurrentStepIndex == gate.Index);
            if (signOffs.Count == 0)
            {
                firstAtGate = campaign.WaitingSinceAt(which) is null && await waiting.AnyAsync(cancellationToken);
                atGate = [];
            }
            else
            {
                atGate = await waiting.Include(r => r.Steps).Include(r => r.Approvals).ToListAsync(cancellationToken);
            }
        }

        if (firstAtGate)
        {
            return await MarkWaitingAsync(campaignId, which, cancellationToken);
        }

        var policy = options.Value.PolicyFor(campaign.Workflow);
        var (decision, at) = CampaignFates.DecisionOf(signOffs, campaign.RequestedBy, policy);
        if (decision == FateDecision.Waiting || atGate.Count == 0)
        {
            return 0;
        }

        var now = store.Time.GetUtcNow();
        var decided = 0;
        foreach (var run in atGate)
        {
            var step = run.GateAwaitingDecision();
            if (step is null || step.Index != run.CurrentStepIndex)
            {
                continue;
            }

            try
            {
                if (decision == FateDecision.Rejected)
                {
                    var rejection = signOffs.First(s => s.Decision == ApprovalDecision.Rejected);
                    await requests.RejectAsync(new Actor(rejection.ApproverId, rejection.ApproverName, new HashSet<string> { policy.ApproverRole }), run.Id,
                        $"The old keys' {which.Word()} was rejected for campaign {campaign.Id}: {rejection.Comment}", cancellationToken);
                    decided++;
                    continue;
                }

                var counted = Approvals.ApprovalGate.ValidApprovals(run, step.Index, now).Select(a => a.ApproverId).ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (var approver in SignOffs.Valid(signOffs, campaign.RequestedBy, at!.Value).Take(policy.RequiredApprovals)
                             .Where(s => !counted.Contains(s.ApproverId)))
                {
                    await requests.ApproveAsync(new Actor(approver.ApproverId, approver.ApproverName, new HashSet<string> { policy.ApproverRole }), run.Id,
                        $"old key's {which.Word()} released with campaign {campaign.Id}", cancellationToken);
                    decided++;
                }
            }
            catch (RotationRefusedException refused)
            {
                // The run moved meanwhile (cancelled, decided on its own page); the next pass looks again.
                logger.LogWarning("Campaign {Campaign}: the gate {Gate} of run {Run} was not passed: {Reason}", campaign.Id, gate.Name, run.Id, refused.Message);
            }
        }

        return decided;
    }

    /// <summary>
    /// Notes when the first key's run reached an undecided campaign gate; saving it tells the campaign's approvers once
    /// (<see cref="Notifications.CampaignChangeNotifications"/>), not once per key's run.
    /// </summary>
    private async Task<int> MarkWaitingAsync(Guid campaignId, CampaignGate which, CancellationToken cancellationToken)
    {
        try
        {
            return await store.WriteAsync(async (db, audit) =>
            {
                var campaign = await db.Campaigns.Include(c => c.Keys).FirstAsync(c => c.Id == campaignId, cancellationToken);
                if (campaign.WaitingSinceAt(which) is not null)
                {
                    return 0;
                }

                var now = store.Time.GetUtcNow();
                if (which == CampaignGate.Fate)
                {
                    campaign.FateWaitingSince = now;
                }
                else
                {
                    campaign.DeletionWaitingSince = now;
                }

                campaign.Revision++;
                await audit.AppendAsync("campaign", $"campaign.{which.Word()}-waiting", Campaigns.Subject(campaign),
                    which == CampaignGate.Fate
                        ? $"The first key's run waits at the gate before the old keys' fate ({campaign.Parameters.OldKeyFate}); decided once for the campaign"
                        : "The first key's watch is over: its run waits at the gate before the old keys' deletion; decided once for the campaign");
                return 1;
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return 0; // the campaign moved meanwhile; the next pass looks again
        }
    }

    private static CampaignKeyState? EndOf(RunState state) => state switch
    {
        RunState.Succeeded => CampaignKeyState.Succeeded,
        RunState.Failed => CampaignKeyState.Failed,
        RunState.Cancelled or RunState.Rejected or RunState.RolledBack => CampaignKeyState.Cancelled,
        _ => null,
    };
}

/// <summary>Opens scheduled campaigns and drives released ones in the background beside the orchestrator, on its poll interval.</summary>
internal sealed class CampaignService(CampaignDriver driver, PolicySchedules schedules, IOptions<RotationOptions> options, TimeProvider time, ILogger<CampaignDriver> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Orchestrator.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await schedules.OpenDueAsync(stoppingToken);
                await driver.AdvanceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Campaign pass failed; retrying after the poll interval");
            }

            try
            {
                await Task.Delay(options.Value.Orchestrator.PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
