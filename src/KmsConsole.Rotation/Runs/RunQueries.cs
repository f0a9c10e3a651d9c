using KmsConsole.Rotation.Approvals;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation;

/// <summary>Reads runs for the pages: lists, one run with its steps and approvals, a user's approval queue.</summary>
public sealed class RunQueries
{
    private readonly RotationStore _store;
    private readonly RotationOptions _options;

    internal RunQueries(RotationStore store, IOptions<RotationOptions> options)
    {
        _store = store;
        _options = options.Value;
    }

    public async Task<PagedResult<RunSummary>> ListAsync(RunFilter filter, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, 500);
        page = Math.Max(page, 0);
        await using var db = await _store.ReadAsync(cancellationToken);
        var query = db.Runs.AsNoTracking();
        if (filter.State is { } state)
        {
            query = query.Where(r => r.State == state);
        }

        if (filter.Workflow is { } workflow)
        {
            query = query.Where(r => r.Workflow == workflow);
        }

        if (filter.Target is { Length: > 0 } target)
        {
            query = query.Where(r => r.Target == target);
        }

        if (filter.RequestedBy is { Length: > 0 } requestedBy)
        {
            query = query.Where(r => r.RequestedBy == requestedBy);
        }

        if (filter.Key is { Length: > 0 } key)
        {
            var pattern = $"%{key}%";
            query = query.Where(r => EF.Functions.Like(r.KeyId, pattern) || (r.AliasName != null && EF.Functions.Like(r.AliasName, pattern))
                                     || (r.KeyArn != null && EF.Functions.Like(r.KeyArn, pattern)) || (r.NewKeyId != null && EF.Functions.Like(r.NewKeyId, pattern)));
        }

        var total = await query.CountAsync(cancellationToken);
        var items = await Project(query.OrderByDescending(r => r.CreatedAt).Skip(page * pageSize).Take(pageSize)).ToListAsync(cancellationToken);
        return new PagedResult<RunSummary>(items, total, page, pageSize);
    }

    public async Task<Run?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Include(r => r.Steps).Include(r => r.Approvals).AsSplitQuery()
            .FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        run?.Steps.Sort((a, b) => a.Index.CompareTo(b.Index));
        run?.Approvals.Sort((a, b) => a.DecidedAt.CompareTo(b.DecidedAt));
        return run;
    }

    /// <summary>Runs waiting at a gate that this approver may decide (right role, not the requester, not already approved).</summary>
    public async Task<IReadOnlyList<RunSummary>> AwaitingApprovalByAsync(Actor approver, CancellationToken cancellationToken = default) =>
        (await AwaitingDecisionByAsync(approver, cancellationToken)).Select(ToSummary).ToList();

    /// <summary>As <see cref="AwaitingApprovalByAsync"/>, each run whole (justification, parameters, steps), oldest first.</summary>
    public async Task<IReadOnlyList<Run>> AwaitingDecisionByAsync(Actor approver, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var waiting = await db.Runs.AsNoTracking().Include(r => r.Approvals).Include(r => r.Steps).AsSplitQuery()
            .Where(r => r.State == RunState.AwaitingApproval).OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
        var now = _store.Time.GetUtcNow();
        return waiting
            .Where(r => approver.IsIn(_options.PolicyFor(r.Workflow).ApproverRole)
                        && !string.Equals(r.RequestedBy, approver.UserId, StringComparison.OrdinalIgnoreCase)
                        && r.GateAwaitingDecision() is { } gate
                        && !ApprovalGate.ValidApprovals(r, gate.Index, now).Any(a => string.Equals(a.ApproverId, approver.UserId, StringComparison.OrdinalIgnoreCase)))
            .ToList();
    }

    public async Task<IReadOnlyList<RunSummary>> ForKeyAsync(string target, string keyId, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        return await Project(db.Runs.AsNoTracking()
                .Where(r => r.Target == target && (r.KeyId == keyId || r.NewKeyId == keyId))
                .OrderByDescending(r => r.CreatedAt).Take(200))
            .ToListAsync(cancellationToken);
    }

    private static IQueryable<RunSummary> Project(IQueryable<Run> runs) =>
        runs.Select(r => new RunSummary(r.Id, r.Workflow, r.Target, r.KeyId, r.AliasName, r.State, r.RequestedBy, r.RequestedByName,
            r.CreatedAt, r.FinishedAt, r.CurrentStepIndex, r.Error));

    private static RunSummary ToSummary(Run r) =>
        new(r.Id, r.Workflow, r.Target, r.KeyId, r.AliasName, r.State, r.RequestedBy, r.RequestedByName, r.CreatedAt, r.FinishedAt, r.CurrentStepIndex, r.Error);
}
