using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// Campaigns: requested over a frozen set of keys (each key's plan read by the workflow's own preflight), released by
/// one approval under the workflow's approval policy (never the requester), paused, resumed, cancelled, and their
/// failed keys retried as a follow-up campaign. <see cref="CampaignDriver"/> runs them as per-key runs.
/// </summary>
public sealed class Campaigns
{
    public const int MaxKeys = 1000;
    public const int MaxConcurrency = 50;
    public const int DefaultConcurrency = 5;

    private readonly RotationStore _store;
    private readonly RotationRequests _requests;
    private readonly IChangeFeed _changes;
    private readonly RotationOptions _options;
    private readonly Workflows.WorkflowDefinitions _definitions;
    private readonly Runs.IWorkflowCatalog _catalog;

    internal Campaigns(RotationStore store, RotationRequests requests, IChangeFeed changes, IOptions<RotationOptions> options, Workflows.WorkflowDefinitions definitions,
        Runs.IWorkflowCatalog catalog)
    {
        _catalog = catalog;
        _store = store;
        _requests = requests;
        _changes = changes;
        _options = options.Value;
        _definitions = definitions;
    }

    public async Task<IReadOnlyList<Campaign>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var all = await db.Campaigns.AsNoTracking().Include(c => c.Keys).OrderByDescending(c => c.CreatedAt).Take(100).ToListAsync(cancellationToken);
        var signOffs = await SignOffs.LoadAsync(db, all.Select(c => c.Id).ToList(), cancellationToken);
        all.ForEach(c => { c.SignOffs = signOffs[c.Id].ToList(); c.Keys.Sort((a, b) => a.Index.CompareTo(b.Index)); });
        return all;
    }

    public async Task<Campaign?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var campaign = await db.Campaigns.AsNoTracking().Include(c => c.Keys).FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (campaign is not null)
        {
            var fateSubject = CampaignFates.SubjectOf(id);
            var deletionSubject = CampaignFates.SubjectOf(id, CampaignGate.Deletion);
            var signOffs = await SignOffs.LoadAsync(db, [id, fateSubject, deletionSubject], cancellationToken);
            campaign.SignOffs = signOffs[id].ToList();
            campaign.FateSignOffs = signOffs[fateSubject].ToList();
            campaign.DeletionSignOffs = signOffs[deletionSubject].ToList();
            campaign.Keys.Sort((a, b) => a.Index.CompareTo(b.Index));
            campaign.Fate = await GateShownAsync(db, campaign, CampaignGate.Fate, cancellationToken);
            campaign.Deletion = await GateShownAsync(db, campaign, CampaignGate.Deletion, cancellationToken);
        }

        return campaign;
    }

    /// <summary>One campaign gate as the approver reads it: its decision, the keys it decides, and the runs waiting at it now.</summary>
    private async Task<CampaignFate?> GateShownAsync(RotationDbContext db, Campaign campaign, CampaignGate which, CancellationToken cancellationToken)
    {
        if (CampaignFates.GateOf(_catalog, campaign, which) is not { } gate)
        {
            return null;
        }

        var runIds = campaign.Keys.Where(k => k.State == CampaignKeyState.Running && k.RunId != null).Select(k => k.RunId!.Value).ToList();
        var waiting = await db.Runs.AsNoTracking().Where(r => runIds.Contains(r.Id) && r.State == RunState.AwaitingApproval
            && r.CurrentStepIndex == gate.Index).ToListAsync(cancellationToken);
        var signOffs = campaign.SignOffsOn(which);
        return new CampaignFate(which, gate.Name, campaign.Parameters.OldKeyFate,
            CampaignFates.DecisionOf(signOffs, campaign.RequestedBy, _options.PolicyFor(campaign.Workflow)).Decision,
            campaign.Keys.Where(k => k.State != CampaignKeyState.Skipped).Select(k => k.Alias ?? k.KeyId).ToList(), waiting.Count, signOffs)
        {
            HighHazards = which == CampaignGate.Fate
                ? Safety.CampaignHazards.AtFateGate(campaign.Keys.Join(waiting, k => k.RunId, r => r.Id, (k, r) => (k.Alias ?? k.KeyId, r)))
                : [],
        };
    }

    public Task<Campaign> RequestAsync(Actor requester, CampaignRequest request, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => RequestCoreAsync(requester, request, followUpOf: null, cancellationToken), cancellationToken);

    private async Task<Campaign> RequestCoreAsync(Actor requester, CampaignRequest request, Guid? followUpOf, CancellationToken cancellationToken,
        string? scheduleKey = null, string? requestedFor = null)
    {
        requester.Require(Roles.Requester, "request a campaign");
        if (string.IsNullOrWhiteSpace(request.Justification))
        {
            throw RotationRefusedException.Missing("Give a justification: approvers and auditors read it.", "Justification");
        }

        var keys = request.Keys.Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count is 0 or > MaxKeys)
        {
            throw new RotationRefusedException($"A campaign covers 1 to {MaxKeys} keys; {keys.Count} were asked.", kind: RefusalKind.Invalid) { Field = "Keys" };
        }

        if (request.Concurrency is < 1 or > MaxConcurrency)
        {
            throw new RotationRefusedException($"A campaign runs 1 to {MaxConcurrency} keys at once; {request.Concurrency} was asked.", kind: RefusalKind.Invalid)
            {
                Field = "Concurrency",
            };
        }

        var definition = _definitions[request.Workflow];
        if (!definition.RequestedFromKey)
        {
            throw new RotationRefusedException($"{definition.Label} is not requested from keys.", kind: RefusalKind.Invalid) { Field = "Workflow" };
        }

        _options.RequireTarget(request.Target);
        var campaign = new Campaign
        {
            Id = Guid.NewGuid(),
            Target = request.Target,
            Workflow = request.Workflow,
            Parameters = request.Parameters,
            Justification = request.Justification.Trim(),
            PolicyId = request.PolicyId,
            FollowUpOf = followUpOf,
            RequestedBy = requester.UserId,
            RequestedByName = requester.DisplayName,
            ScheduleKey = scheduleKey,
            CreatedAt = _store.Time.GetUtcNow(),
            State = CampaignState.AwaitingApproval,
            Concurrency = request.Concurrency,
        };

        // The plan is frozen now, per key, by the same preflight a single request meets: the approver reads what will run.
        for (var i = 0; i < keys.Count; i++)
        {
            campaign.Keys.Add(await PlanAsync(campaign, i, keys[i], cancellationToken));
        }

        if (campaign.Keys.All(k => k.State == CampaignKeyState.Skipped))
        {
            throw new RotationRefusedException($"No key of the campaign can run {definition.Label}: {campaign.Keys[0].Plan}", kind: RefusalKind.Invalid) { Field = "Keys" };
        }

        await _store.WriteAsync(async (db, audit) =>
        {
            // Every write holds the database's writer lock, so this check and the insert are one step across instances;
            // the unique index on the schedule key would refuse a second insert anyway.
            if (scheduleKey is not null && await db.Campaigns.AnyAsync(c => c.ScheduleKey == scheduleKey, cancellationToken))
            {
                throw new PeriodAlreadyOpenedException();
            }

            db.Campaigns.Add(campaign);
            var skipped = campaign.Keys.Count(k => k.State == CampaignKeyState.Skipped);
            await audit.AppendAsync(requester.UserId, "campaign.requested", Subject(campaign),
                $"{definition.Label} over {campaign.Keys.Count} keys ({skipped} skipped by the preflight), {campaign.Concurrency} at a time" +
                $"{(followUpOf is { } of ? $", retrying the failed keys of campaign {of}" : "")}{requestedFor}: {campaign.Justification}");
        }, cancellationToken);
        _changes.Publish(new ConsoleChange(ChangeKind.Governance, campaign.Id));
        return campaign;
    }

    private async Task<CampaignKey> PlanAsync(Campaign campaign, int index, string key, CancellationToken cancellationToken)
    {
        var row = new CampaignKey { CampaignId = campaign.Id, Index = index, KeyId = key, State = CampaignKeyState.Waiting };
        try
        {
            var plan = await _requests.PreflightAsync(new RotationRequest(campaign.Target, key, campaign.Workflow, campaign.Parameters, campaign.Justification), cancellationToken);
            row.KeyId = plan.Key.KeyId;
            row.Alias = plan.Key.Aliases.FirstOrDefault(a => a == key) ?? plan.Key.Aliases.FirstOrDefault();
            if (!plan.Allowed)
            {
                row.State = CampaignKeyState.Skipped;
                row.Plan = $"Skipped: {string.Join(" ", plan.Refusals)}";
                return row;
            }

            var fate = _definitions[campaign.Workflow].OldKeyFates.Count > 0 ? $"; old key: {campaign.Parameters.OldKeyFate}" : "";
            row.Plan = string.Join(" → ", plan.Steps.Select(s => s.Name)) + fate + (_definitions[campaign.Workflow].MovesAlias ? Safety.CampaignHazards.PlanLine(plan.Hazards) : "");
        }
        catch (RotationRefusedException refused)
        {
            row.State = CampaignKeyState.Skipped;
            row.Plan = $"Skipped: {refused.Message}";
        }

        return row;
    }

    /// <summary>
    /// A campaign over a policy's non-compliant keys that its remedy fixes (the most frequent remedy when the rule picks one
    /// per key, e.g. a new KMS key or a new imported key), with the rule's remedy parameters.
    /// </summary>
    public Task<Campaign> RequestForPolicyAsync(Actor requester, Guid policyId, string justification, int concurrency = DefaultConcurrency, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(async () =>
        {
            List<ComplianceResult> broken;
            RotationPolicy policy;
            await using (var db = await _store.ReadAsync(cancellationToken))
            {
                policy = await db.RotationPolicies.AsNoTracking().FirstOrDefaultAsync(p => p.PolicyId == policyId && p.State == PolicyState.Active, cancellationToken)
                    ?? throw new RotationRefusedException($"Policy {policyId} has no active version.", kind: RefusalKind.NotFound);
                broken = await db.ComplianceResults.AsNoTracking()
                    .Where(r => r.PolicyId == policyId && r.Status == ComplianceStatus.NonCompliant && r.Remedy != null).ToListAsync(cancellationToken);
            }

            var group = broken.GroupBy(r => (r.Target, r.Remedy!.Value)).OrderByDescending(g => g.Key.Value == policy.Rule.Remedy).ThenByDescending(g => g.Count()).FirstOrDefault()
                ?? throw new RotationRefusedException($"No key is non-compliant with {policy.Title} with a remedy to run.");
            return await RequestCoreAsync(requester, new CampaignRequest(group.Key.Target, group.Select(r => r.KeyId).ToList(), group.Key.Value,
                policy.Rule.RemedyParameters, justification, concurrency, policyId), followUpOf: null, cancellationToken);
        }, cancellationToken);

    public Task ApproveAsync(Actor approver, Guid campaignId, string? comment, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => DecideAsync(approver, campaignId, ApprovalDecision.Approved, comment, cancellationToken), cancellationToken);

    public Task RejectAsync(Actor approver, Guid campaignId, string comment, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            throw RotationRefusedException.Missing("Give the reason for the rejection; the requester reads it.", "comment");
        }

        return Refusals.TranslateAsync(() => DecideAsync(approver, campaignId, ApprovalDecision.Rejected, comment, cancellationToken), cancellationToken);
    }

    private Task DecideAsync(Actor approver, Guid campaignId, ApprovalDecision decision, string? comment, CancellationToken cancellationToken) =>
        ChangeAsync(campaignId, async (db, campaign, audit, now) =>
        {
            if (campaign.State != CampaignState.AwaitingApproval)
            {
                throw new RotationRefusedException($"The campaign is {campaign.State}; only a campaign waiting for approval can be approved or rejected.");
            }

            var policy = _options.PolicyFor(campaign.Workflow);
            campaign.SignOffs = (await SignOffs.LoadAsync(db, [campaign.Id], cancellationToken))[campaign.Id].ToList();
            var passed = SignOffs.Record(db, campaign.SignOffs, campaign.Id, campaign.RequestedBy, approver, policy, decision, comment, now,
                $"the campaign of {campaign.Keys.Count} keys");
            if (decision == ApprovalDecision.Rejected)
            {
                campaign.State = CampaignState.Rejected;
                campaign.DecidedByName = approver.DisplayName;
                campaign.DecidedAt = now;
                campaign.FinishedAt = now;
                await audit.AppendAsync(approver.UserId, "campaign.rejected", Subject(campaign), comment!.Trim());
                return;
            }

            await audit.AppendAsync(approver.UserId, "campaign.approved", Subject(campaign),
                $"{SignOffs.Tally(campaign.SignOffs, campaign.RequestedBy, policy, now)}{(comment is { Length: > 0 } ? ": " + comment.Trim() : "")}");
            if (passed)
            {
                campaign.State = CampaignState.Running;
                campaign.DecidedByName = approver.DisplayName;
                campaign.DecidedAt = now;
                await audit.AppendAsync(approver.UserId, "campaign.released", Subject(campaign),
                    $"{campaign.Keys.Count(k => k.State == CampaignKeyState.Waiting)} keys, {campaign.Concurrency} at a time");
            }
        }, cancellationToken);

    /// <summary>
    /// Approves the gate before the old keys' fate once for the whole campaign (the workflow's M-of-N, never the
    /// requester): each key's run then passes its own fate gate with this decision, unless a high hazard of that key
    /// still stops it there until an approver acknowledges it on the run's page.
    /// </summary>
    public Task ApproveFateAsync(Actor approver, Guid campaignId, string? comment, CancellationToken cancellationToken = default) =>
        ApproveGateAsync(approver, campaignId, CampaignGate.Fate, comment, cancellationToken);

    /// <summary>Rejects the old keys' fate for the whole campaign: each key's run is rejected at its fate gate.</summary>
    public Task RejectFateAsync(Actor approver, Guid campaignId, string comment, CancellationToken cancellationToken = default) =>
        RejectGateAsync(approver, campaignId, CampaignGate.Fate, comment, cancellationToken);

    /// <summary>
    /// Approves <paramref name="gate"/> once for the whole campaign (the workflow's M-of-N, never the requester). The
    /// deletion gate of a staged retirement is decided once at least one key's watch is over (its key disabled and unused
    /// for the whole watch); each later run passes it when its own watch ends the same way — a key used or re-enabled
    /// during its watch fails its run before the gate, so its deletion is never scheduled.
    /// </summary>
    public Task ApproveGateAsync(Actor approver, Guid campaignId, CampaignGate gate, string? comment, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => DecideGateAsync(approver, campaignId, gate, ApprovalDecision.Approved, comment, cancellationToken), cancellationToken);

    /// <summary>Rejects <paramref name="gate"/> for the whole campaign: each key's run is rejected at that gate (a rejected deletion leaves the old keys disabled).</summary>
    public Task RejectGateAsync(Actor approver, Guid campaignId, CampaignGate gate, string comment, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            throw RotationRefusedException.Missing("Give the reason for the rejection; the requester reads it.", "comment");
        }

        return Refusals.TranslateAsync(() => DecideGateAsync(approver, campaignId, gate, ApprovalDecision.Rejected, comment, cancellationToken), cancellationToken);
    }

    private Task DecideGateAsync(Actor approver, Guid campaignId, CampaignGate which, ApprovalDecision decision, string? comment, CancellationToken cancellationToken) =>
        ChangeAsync(campaignId, async (db, campaign, audit, now) =>
        {
            var what = $"the old keys' {which.Word()}";
            var gate = CampaignFates.GateOf(_catalog, campaign, which)
                ?? throw new RotationRefusedException(which == CampaignGate.Fate
                    ? $"{_definitions.LabelOf(campaign.Workflow)} with old key {campaign.Parameters.OldKeyFate} has no gate before the old key's fate; " +
                      "the campaign's approval released all of it."
                    : $"{_definitions.LabelOf(campaign.Workflow)} with old key {campaign.Parameters.OldKeyFate} has no gate before the old key's deletion; " +
                      "only a staged retirement does.", kind: RefusalKind.Invalid);
            if (campaign.IsOver)
            {
                throw new RotationRefusedException($"The campaign is {campaign.State}; {what} is decided only while it is waiting or running.");
            }

            var policy = _options.PolicyFor(campaign.Workflow);
            var subject = CampaignFates.SubjectOf(campaign.Id, which);
            var signOffs = campaign.SignOffsOn(which);
            signOffs.Clear();
            signOffs.AddRange((await SignOffs.LoadAsync(db, [subject], cancellationToken))[subject]);
            if (CampaignFates.DecisionOf(signOffs, campaign.RequestedBy, policy).Decision is var decided and not FateDecision.Waiting)
            {
                throw new RotationRefusedException($"{char.ToUpperInvariant(what[0])}{what[1..]} of the campaign is {decided} already.");
            }

            if (which == CampaignGate.Deletion)
            {
                var runIds = campaign.Keys.Where(k => k.RunId != null).Select(k => k.RunId!.Value).ToList();
                var watched = await db.Runs.AsNoTracking().CountAsync(r => runIds.Contains(r.Id) && r.CurrentStepIndex >= gate.Index
                    && r.State != RunState.Failed && r.State != RunState.Cancelled, cancellationToken);
                if (watched == 0)
                {
                    throw new RotationRefusedException($"No key's watch is over yet: {what} is decided once the first disabled old key was watched unused " +
                        $"and its run waits at \"{gate.Name}\".");
                }
            }

            var keys = campaign.Keys.Count(k => k.State != CampaignKeyState.Skipped);
            var passed = SignOffs.Record(db, signOffs, subject, campaign.RequestedBy, approver, policy, decision, comment, now,
                $"{what} ({campaign.Parameters.OldKeyFate}) of the campaign of {keys} keys");
            var note = comment is { Length: > 0 } ? ": " + comment.Trim() : "";
            var prefix = $"campaign.{which.Word()}";
            if (decision == ApprovalDecision.Rejected)
            {
                await audit.AppendAsync(approver.UserId, $"{prefix}-rejected", Subject(campaign), $"{gate.Name} for {keys} keys{note}");
                return;
            }

            await audit.AppendAsync(approver.UserId, $"{prefix}-approved", Subject(campaign),
                $"{gate.Name} ({campaign.Parameters.OldKeyFate}) for {keys} keys: {SignOffs.Tally(signOffs, campaign.RequestedBy, policy, now)}{note}");
            if (passed)
            {
                await audit.AppendAsync(approver.UserId, $"{prefix}-released", Subject(campaign), which == CampaignGate.Fate
                    ? $"{gate.Name} passes for each of the {keys} keys' runs, unless a high hazard of the key stops it there"
                    : $"{gate.Name} passes for each of the {keys} keys' runs whose watch finds its old key disabled and unused");
            }
        }, cancellationToken);

    public Task PauseAsync(Actor actor, Guid campaignId, CancellationToken cancellationToken = default) =>
        SetStateAsync(actor, campaignId, CampaignState.Running, CampaignState.Paused, "campaign.paused", cancellationToken);

    public Task ResumeAsync(Actor actor, Guid campaignId, CancellationToken cancellationToken = default) =>
        SetStateAsync(actor, campaignId, CampaignState.Paused, CampaignState.Running, "campaign.resumed", cancellationToken);

    /// <summary>Keys not started never start; keys whose runs started go on to their end (each run can be cancelled on its own page).</summary>
    public Task CancelAsync(Actor actor, Guid campaignId, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(() => ChangeAsync(campaignId, async (_, campaign, audit, now) =>
        {
            RequireOwnerOrApprover(actor, campaign, "cancel");
            if (campaign.IsOver)
            {
                throw new RotationRefusedException($"The campaign is {campaign.State} already.");
            }

            var waiting = campaign.Keys.Where(k => k.State == CampaignKeyState.Waiting).ToList();
            waiting.ForEach(k => { k.State = CampaignKeyState.Cancelled; k.Outcome = $"Cancelled by {actor.DisplayName} before it started"; });
            campaign.State = CampaignState.Cancelled;
            campaign.FinishedAt = now;
            await audit.AppendAsync(actor.UserId, "campaign.cancelled", Subject(campaign), $"{waiting.Count} keys not started will not start");
        }, cancellationToken), cancellationToken);

    /// <summary>A new campaign (waiting for approval again) over the keys whose runs failed.</summary>
    public Task<Campaign> RetryFailedAsync(Actor requester, Guid campaignId, string justification, CancellationToken cancellationToken = default) =>
        Refusals.TranslateAsync(async () =>
        {
            var campaign = await GetAsync(campaignId, cancellationToken)
                ?? throw new RotationRefusedException($"Campaign {campaignId} does not exist.", kind: RefusalKind.NotFound);
            var failed = campaign.Keys.Where(k => k.State == CampaignKeyState.Failed).Select(k => k.KeyId).ToList();
            if (failed.Count == 0)
            {
                throw new RotationRefusedException("No key of the campaign failed; there is nothing to retry.");
            }

            return await RequestCoreAsync(requester, new CampaignRequest(campaign.Target, failed, campaign.Workflow, campaign.Parameters, justification,
                campaign.Concurrency, campaign.PolicyId), campaign.Id, cancellationToken);
        }, cancellationToken);

    private Task SetStateAsync(Actor actor, Guid campaignId, CampaignState from, CampaignState to, string action, CancellationToken cancellationToken) =>
        Refusals.TranslateAsync(() => ChangeAsync(campaignId, async (_, campaign, audit, _) =>
        {
            RequireOwnerOrApprover(actor, campaign, to == CampaignState.Paused ? "pause" : "resume");
            if (campaign.State != from)
            {
                throw new RotationRefusedException($"The campaign is {campaign.State}; only a {from} campaign can be {(to == CampaignState.Paused ? "paused" : "resumed")}.");
            }

            campaign.State = to;
            await audit.AppendAsync(actor.UserId, action, Subject(campaign), $"{CampaignProgress.Of(campaign)}");
        }, cancellationToken), cancellationToken);

    private void RequireOwnerOrApprover(Actor actor, Campaign campaign, string what)
    {
        var approverRole = _options.PolicyFor(campaign.Workflow).ApproverRole;
        if (!(string.Equals(actor.UserId, campaign.RequestedBy, StringComparison.OrdinalIgnoreCase) && actor.IsIn(Roles.Requester)) && !actor.IsIn(approverRole))
        {
            throw new RotationAuthorizationException($"{actor.DisplayName} may not {what} this campaign: its requester or the {approverRole} role may.");
        }
    }

    private async Task ChangeAsync(Guid campaignId, Func<RotationDbContext, Campaign, AuditWriter, DateTimeOffset, Task> change, CancellationToken cancellationToken)
    {
        try
        {
            await _store.WriteAsync(async (db, audit) =>
            {
                var campaign = await db.Campaigns.Include(c => c.Keys).FirstOrDefaultAsync(c => c.Id == campaignId, cancellationToken)
                    ?? throw new RotationRefusedException($"Campaign {campaignId} does not exist.", kind: RefusalKind.NotFound);
                campaign.Revision++;
                await change(db, campaign, audit, _store.Time.GetUtcNow());
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new RotationRefusedException($"Campaign {campaignId} changed meanwhile; look again and retry.");
        }

        _changes.Publish(new ConsoleChange(ChangeKind.Governance, campaignId));
    }

    private const string SubjectPrefix = "campaign/";

    /// <summary>The audit subject of a campaign's events.</summary>
    internal static string Subject(Campaign campaign) => $"{SubjectPrefix}{campaign.Id}";

    /// <summary>The campaign an audit subject names, if it names one.</summary>
    public static Guid? CampaignOfSubject(string subject) =>
        subject.StartsWith(SubjectPrefix, StringComparison.Ordinal) && Guid.TryParse(subject.AsSpan(SubjectPrefix.Length), out var id) ? id : null;

    /// <summary>
    /// Opens the scheduled campaign of <paramref name="policy"/> for <paramref name="period"/> over <paramref name="keys"/>, once:
    /// false when that period's campaign exists already (opened by this or another instance).
    /// </summary>
    internal async Task<bool> OpenScheduledAsync(RotationPolicy policy, DateTimeOffset period, string target, WorkflowKind workflow, IReadOnlyList<string> keys,
        CancellationToken cancellationToken)
    {
        // The campaign is requested by the policy itself, named so in the audit trail; its owner is the Admin who approved it.
        var requester = new Actor($"policy:{policy.PolicyId}", $"Policy {policy.Name} (owner {policy.DecidedByName})", new HashSet<string> { Roles.Requester });
        var key = $"{policy.PolicyId:N}@{period.UtcDateTime:yyyyMMddHHmm}";
        try
        {
            await RequestCoreAsync(requester, new CampaignRequest(target, keys, workflow, policy.Rule.RemedyParameters,
                $"Scheduled by policy {policy.Title} for the period from {period:u}", policy.Schedule!.Concurrency, policy.PolicyId), null, cancellationToken,
                key, $", requested by policy {policy.Title} (owner {policy.DecidedByName}), waiting for human approval");
            return true;
        }
        catch (Exception e) when (e is PeriodAlreadyOpenedException or DbUpdateException)
        {
            return false;
        }
    }

    private sealed class PeriodAlreadyOpenedException : Exception;
}
