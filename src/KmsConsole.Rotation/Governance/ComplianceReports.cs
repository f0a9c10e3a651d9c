using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Governance;

/// <summary>One policy's latest counts.</summary>
public sealed record PolicyCompliance(Guid PolicyId, string Name, int Version, PolicyRuleKind Rule, string RuleText, DateTimeOffset? EvaluatedAt,
    int Compliant, int NonCompliant, int Exempt, int NotApplicable, int CouldNotRead)
{
    /// <summary>Compliant among the keys the policy judged (exempt keys count as judged and compliant); null when it judged none.</summary>
    public double? CompliantShare => Compliant + NonCompliant + Exempt is var judged and > 0 ? (double)(Compliant + Exempt) / judged : null;
}

/// <summary>The Compliance page's and the dashboard's view: every active policy's counts and the daily counts for the trend.</summary>
public sealed record ComplianceOverview(IReadOnlyList<PolicyCompliance> Policies, IReadOnlyList<ComplianceDay> Trend)
{
    public int NonCompliant => Policies.Sum(p => p.NonCompliant);
    public int Compliant => Policies.Sum(p => p.Compliant);
}

/// <summary>One key under one policy, as the page lists it and the report exports it.</summary>
public sealed record ComplianceRow(Guid PolicyId, string PolicyName, int PolicyVersion, string Target, string KeyId, string Arn, string Aliases,
    ComplianceStatus Status, string Reason, DateTimeOffset? NonCompliantSince, DateTimeOffset? DueAt, WorkflowKind? Remedy, DateTimeOffset? EvaluatedAt)
{
    /// <summary>Whole days from <paramref name="now"/> until the remedy is due (0 within a day either side); negative when overdue.</summary>
    public int? DueInDays(DateTimeOffset now) => DueAt is { } due ? (int)(due - now).TotalDays : null;
}

public sealed record ComplianceQuery
{
    public Guid? PolicyId { get; init; }
    public ComplianceStatus? Status { get; init; }
    public string? Target { get; init; }

    /// <summary>Key id, ARN or alias text.</summary>
    public string? Search { get; init; }

    /// <summary>Only answers whose remedy is due within this many days (overdue included).</summary>
    public int? DueWithinDays { get; init; }

    public int Page { get; init; }
    public int PageSize { get; init; } = 25;
}

/// <summary>Reads compliance answers (what the page shows and the report exports) and evaluates on demand.</summary>
public sealed class ComplianceReports
{
    private readonly RotationStore _store;
    private readonly ComplianceEvaluation _evaluation;

    internal ComplianceReports(RotationStore store, ComplianceEvaluation evaluation)
    {
        _store = store;
        _evaluation = evaluation;
    }

    /// <summary>Evaluates every key under every active policy now (also done after each inventory sync).</summary>
    public async Task EvaluateAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        actor.Require(Roles.Requester, "evaluate compliance");
        await _evaluation.EvaluateAsync(cancellationToken);
    }

    public async Task<ComplianceOverview> GetOverviewAsync(int trendDays = 90, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var policies = await db.RotationPolicies.AsNoTracking().Where(p => p.State == PolicyState.Active).ToListAsync(cancellationToken);
        var counts = await db.ComplianceResults.AsNoTracking().GroupBy(r => new { r.PolicyId, r.Status })
            .Select(g => new { g.Key.PolicyId, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        var from = new DateTimeOffset(_store.Time.GetUtcNow().UtcDateTime.Date.AddDays(-trendDays), TimeSpan.Zero);
        var trend = await db.ComplianceDays.AsNoTracking().Where(d => d.Day >= from).OrderBy(d => d.Day).ToListAsync(cancellationToken);
        var evaluated = await LatestEvaluationsAsync(db, cancellationToken);
        var active = policies.Select(p => p.PolicyId).ToHashSet();
        return new ComplianceOverview(
            policies.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Select(p =>
            {
                int Of(ComplianceStatus s) => counts.Where(c => c.PolicyId == p.PolicyId && c.Status == s).Sum(c => c.Count);
                return new PolicyCompliance(p.PolicyId, p.Name, p.Version, p.Rule.Kind, ComplianceRules.For(p.Rule.Kind).Describe(p.Rule.Days),
                    evaluated.GetValueOrDefault(p.PolicyId), Of(ComplianceStatus.Compliant), Of(ComplianceStatus.NonCompliant), Of(ComplianceStatus.Exempt),
                    Of(ComplianceStatus.NotApplicable), Of(ComplianceStatus.CouldNotRead));
            }).ToList(),
            trend.Where(d => active.Contains(d.PolicyId)).ToList());
    }

    public async Task<PagedResult<ComplianceRow>> QueryAsync(ComplianceQuery query, CancellationToken cancellationToken = default)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var page = Math.Max(query.Page, 0);
        await using var db = await _store.ReadAsync(cancellationToken);
        var rows = Filtered(db, query);
        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderBy(r => r.Result.DueAt == null).ThenBy(r => r.Result.DueAt).ThenBy(r => r.Result.KeyId)
            .Skip(page * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new PagedResult<ComplianceRow>(await ToRowsAsync(db, items, cancellationToken), total, page, pageSize);
    }

    /// <summary>Every answer the query selects, in a stable order (policy, target, key), streamed for the report.</summary>
    internal async IAsyncEnumerable<ComplianceRow> AllAsync(ComplianceQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var names = await db.RotationPolicies.AsNoTracking().Where(p => p.State == PolicyState.Active).ToDictionaryAsync(p => p.PolicyId, p => p.Name, cancellationToken);
        var evaluated = await LatestEvaluationsAsync(db, cancellationToken);
        await foreach (var r in Filtered(db, query).OrderBy(r => r.Result.PolicyId).ThenBy(r => r.Result.Target).ThenBy(r => r.Result.KeyId)
                           .AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return Row(r, names, evaluated);
        }
    }

    /// <summary>Writes the answers as CSV (one row per key × policy) and audits the export.</summary>
    public Task ExportCsvAsync(Actor actor, Stream output, ComplianceQuery query, CancellationToken cancellationToken = default) =>
        ExportAsync(actor, "CSV", () => ComplianceExport.WriteCsvAsync(AllAsync(query, cancellationToken), output, cancellationToken), query, cancellationToken);

    /// <summary>Writes the answers as a JSON array (one object per key × policy) and audits the export.</summary>
    public Task ExportJsonAsync(Actor actor, Stream output, ComplianceQuery query, CancellationToken cancellationToken = default) =>
        ExportAsync(actor, "JSON", () => ComplianceExport.WriteJsonAsync(AllAsync(query, cancellationToken), output, cancellationToken), query, cancellationToken);

    private async Task ExportAsync(Actor actor, string format, Func<Task<int>> write, ComplianceQuery query, CancellationToken cancellationToken)
    {
        // Whoever may see the Compliance page may hand its report over; the export itself is audited.
        if (actor.Roles.Count == 0)
        {
            throw new RotationAuthorizationException($"{actor.DisplayName} holds no console role, so cannot export the compliance report.");
        }

        var rows = await write();
        await _store.WriteAsync(audit => audit.AppendAsync(actor.UserId, "compliance.exported", "compliance",
            $"{format} export of {rows} answers (policy={query.PolicyId}, status={query.Status}, target={query.Target}, search={query.Search})"), cancellationToken);
    }

    private IQueryable<Joined> Filtered(RotationDbContext db, ComplianceQuery query)
    {
        var results = db.ComplianceResults.AsNoTracking();
        if (query.PolicyId is { } policyId)
        {
            results = results.Where(r => r.PolicyId == policyId);
        }

        if (query.Status is { } status)
        {
            results = results.Where(r => r.Status == status);
        }

        if (query.Target is { Length: > 0 } target)
        {
            results = results.Where(r => r.Target == target);
        }

        if (query.DueWithinDays is { } days)
        {
            var until = _store.Time.GetUtcNow().AddDays(days);
            results = results.Where(r => r.DueAt != null && r.DueAt <= until);
        }

        var joined = from r in results
                     join k in db.KeySnapshots.AsNoTracking() on new { r.Target, r.KeyId } equals new { k.Target, k.KeyId } into keys
                     from k in keys.DefaultIfEmpty()
                     select new Joined { Result = r, Arn = k == null ? "" : k.Arn, Aliases = k == null ? "" : k.Aliases };
        if (query.Search is { Length: > 0 } search)
        {
            var pattern = $"%{search}%";
            joined = joined.Where(j => EF.Functions.Like(j.Result.KeyId, pattern) || EF.Functions.Like(j.Arn, pattern) || EF.Functions.Like(j.Aliases, pattern));
        }

        return joined;
    }

    private static async Task<List<ComplianceRow>> ToRowsAsync(RotationDbContext db, List<Joined> items, CancellationToken cancellationToken)
    {
        var names = await db.RotationPolicies.AsNoTracking().Where(p => p.State == PolicyState.Active).ToDictionaryAsync(p => p.PolicyId, p => p.Name, cancellationToken);
        var evaluated = await LatestEvaluationsAsync(db, cancellationToken);
        return items.Select(i => Row(i, names, evaluated)).ToList();
    }

    private static ComplianceRow Row(Joined j, Dictionary<Guid, string> names, Dictionary<Guid, DateTimeOffset> evaluated) =>
        new(j.Result.PolicyId, names.GetValueOrDefault(j.Result.PolicyId) ?? "", j.Result.PolicyVersion, j.Result.Target, j.Result.KeyId, j.Arn, j.Aliases,
            j.Result.Status, j.Result.Reason, j.Result.NonCompliantSince, j.Result.DueAt, j.Result.Remedy, evaluated.GetValueOrDefault(j.Result.PolicyId));

    /// <summary>The latest evaluation of each policy: its latest day's row holds it.</summary>
    private static async Task<Dictionary<Guid, DateTimeOffset>> LatestEvaluationsAsync(RotationDbContext db, CancellationToken cancellationToken) =>
        (await db.ComplianceDays.AsNoTracking().GroupBy(d => d.PolicyId).Select(g => new { PolicyId = g.Key, At = g.Max(d => d.EvaluatedAt) })
            .ToListAsync(cancellationToken)).ToDictionary(x => x.PolicyId, x => x.At);

    private sealed class Joined
    {
        public required ComplianceResult Result { get; init; }
        public required string Arn { get; init; }
        public required string Aliases { get; init; }
    }
}
