using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// One pass of compliance over the whole inventory: after every inventory sync, after a run changed keys, after a
/// policy or exemption was decided, and on demand. It reads the snapshots, the active policies and the exemptions that
/// count, writes the answers that changed (an unchanged answer keeps its row and its dates), and today's counts per
/// policy for the trend.
/// </summary>
internal sealed class ComplianceEvaluation(RotationStore store, IChangeFeed changes)
{
    // One pass at a time in this process; passes across instances queue on the database's writer lock.
    private readonly SemaphoreSlim _one = new(1, 1);

    // The answers as this instance's last pass committed them; read again from the database when another pass wrote since.
    private StoredAnswers? _stored;

    public async Task<IReadOnlyList<ComplianceDay>> EvaluateAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            var stored = _stored;
            var pass = await store.WriteAsync((db, audit) => EvaluateAsync(db, audit, stored, store.Time.GetUtcNow(), cancellationToken), cancellationToken);
            _stored = pass.Stored;
            changes.Publish(new ConsoleChange(ChangeKind.Governance));
            return pass.Days;
        }
        finally
        {
            _one.Release();
        }
    }

    private static async Task<Pass> EvaluateAsync(RotationDbContext db, AuditWriter audit, StoredAnswers? stored, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var policies = await db.RotationPolicies.AsNoTracking().Where(p => p.State == PolicyState.Active).ToListAsync(cancellationToken);
        var exemptions = await db.PolicyExemptions.AsNoTracking().Where(e => e.State == ExemptionState.Approved && e.ExpiresAt > now).ToListAsync(cancellationToken);
        var escrowed = (await db.EscrowedMaterials.AsNoTracking().Select(e => new { e.Target, e.KeyId }).Distinct().ToListAsync(cancellationToken))
            .Select(e => (e.Target, e.KeyId)).ToHashSet();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var previous = stored is not null && await stored.StillHoldsAsync(db, today, cancellationToken)
            ? new Dictionary<AnswerKey, ComplianceResult>(stored.Answers)
            : await db.ComplianceResults.AsNoTracking().ToDictionaryAsync(r => new AnswerKey(r.PolicyId, r.Target, r.KeyId), cancellationToken);
        var keys = policies.Count == 0 ? [] : await db.KeySnapshots.AsNoTracking().ToListAsync(cancellationToken);

        var evaluator = new ComplianceEvaluator(exemptions, escrowed, now);
        var answers = new Dictionary<AnswerKey, ComplianceResult>(keys.Count * policies.Count);
        // Tens of thousands of answers: the change tracker learns of them once, in bulk, not one detection per row.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var added = new List<ComplianceResult>();
        var changed = new List<ComplianceResult>();
        var outlived = new List<ComplianceResult>();
        var counts = policies.ToDictionary(p => p.PolicyId, p => new ComplianceDay { Day = today, PolicyId = p.PolicyId, PolicyVersion = p.Version, EvaluatedAt = now });
        foreach (var key in keys)
        {
            foreach (var policy in policies)
            {
                var answerKey = new AnswerKey(policy.PolicyId, key.Target, key.KeyId);
                previous.Remove(answerKey, out var before);
                var result = evaluator.Evaluate(policy, key, before);
                answers[answerKey] = result;
                Count(counts[policy.PolicyId], result.Status);
                if (before is null)
                {
                    added.Add(result);
                }
                else if (!ComplianceEvaluator.SameAnswer(before, result))
                {
                    changed.Add(result);
                    if (before.Status == ComplianceStatus.Exempt && before.DueAt <= now && result.Status != ComplianceStatus.Exempt)
                    {
                        outlived.Add(before);
                    }
                }
            }
        }

        db.ComplianceResults.AddRange(added);
        db.ComplianceResults.UpdateRange(changed);
        // Answers for keys no longer listed, or for policies no longer active.
        db.ComplianceResults.RemoveRange(previous.Values);

        await AuditExpiredAsync(db, audit, outlived, now, cancellationToken);

        var ids = counts.Keys.ToList();
        var storedDays = await db.ComplianceDays.Where(d => d.Day == today && ids.Contains(d.PolicyId)).ToDictionaryAsync(d => d.PolicyId, cancellationToken);
        foreach (var day in counts.Values)
        {
            if (storedDays.TryGetValue(day.PolicyId, out var row))
            {
                db.Entry(row).CurrentValues.SetValues(day);
            }
            else
            {
                db.ComplianceDays.Add(day);
            }
        }

        db.ChangeTracker.DetectChanges();
        return new Pass(counts.Values.ToList(), counts.Count == 0 ? null : new StoredAnswers(answers, now, counts.Keys.ToHashSet()));
    }

    /// <summary>
    /// Each exemption whose expiry ended an exempt answer is audited once, by the pass that answered the key again (an
    /// exempt answer's due time is its exemption's expiry).
    /// </summary>
    private static async Task AuditExpiredAsync(RotationDbContext db, AuditWriter audit, List<ComplianceResult> outlived, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (outlived.Count == 0)
        {
            return;
        }

        var policyIds = outlived.Select(r => r.PolicyId).Distinct().ToList();
        var ended = outlived.Select(r => (r.PolicyId, r.Target, r.KeyId, r.DueAt)).ToHashSet();
        var expired = (await db.PolicyExemptions.AsNoTracking()
                .Where(e => policyIds.Contains(e.PolicyId) && e.State == ExemptionState.Approved && e.ExpiresAt <= now).ToListAsync(cancellationToken))
            .Where(e => ended.Contains((e.PolicyId, e.Target, e.KeyId, (DateTimeOffset?)e.ExpiresAt))).OrderBy(e => e.ExpiresAt);
        foreach (var exemption in expired)
        {
            await audit.AppendAsync("compliance", "exemption.expired", PolicyExemptions.Subject(exemption),
                $"expired {exemption.ExpiresAt:u}; the policy answers for the key again: {exemption.Reason}");
        }
    }

    private static void Count(ComplianceDay day, ComplianceStatus status)
    {
        switch (status)
        {
            case ComplianceStatus.Compliant: day.Compliant++; break;
            case ComplianceStatus.NonCompliant: day.NonCompliant++; break;
            case ComplianceStatus.Exempt: day.Exempt++; break;
            case ComplianceStatus.NotApplicable: day.NotApplicable++; break;
            default: day.CouldNotRead++; break;
        }
    }

    private readonly record struct AnswerKey(Guid PolicyId, string Target, string KeyId);

    private sealed record Pass(IReadOnlyList<ComplianceDay> Days, StoredAnswers? Stored);

    /// <summary>
    /// Every answer a pass committed, and when: while today's count rows all still carry that pass's time, no other pass
    /// (on this instance or another) has written answers since, so the next pass compares against these instead of
    /// reading tens of thousands of rows again.
    /// </summary>
    private sealed record StoredAnswers(IReadOnlyDictionary<AnswerKey, ComplianceResult> Answers, DateTimeOffset EvaluatedAt, IReadOnlySet<Guid> PolicyIds)
    {
        public async Task<bool> StillHoldsAsync(RotationDbContext db, DateTimeOffset today, CancellationToken cancellationToken)
        {
            var rows = await db.ComplianceDays.AsNoTracking().Where(d => d.Day == today)
                .Select(d => new { d.PolicyId, d.EvaluatedAt }).ToListAsync(cancellationToken);
            // PostgreSQL keeps microseconds, the clock gives ticks.
            return rows.Count == PolicyIds.Count
                && rows.All(r => PolicyIds.Contains(r.PolicyId) && Math.Abs((r.EvaluatedAt - EvaluatedAt).Ticks) < TimeSpan.TicksPerMicrosecond);
        }
    }
}
