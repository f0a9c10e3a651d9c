using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// Opens each scheduled policy's campaign of the current period, once, over the keys it would remedy: the non-compliant
/// keys (cron), or the keys whose remedy falls due within the lead time. Campaigns it opens wait for human approval.
/// </summary>
internal sealed class PolicySchedules(RotationStore store, Campaigns campaigns)
{
    /// <summary>Returns how many campaigns this pass opened.</summary>
    public async Task<int> OpenDueAsync(CancellationToken cancellationToken)
    {
        var now = store.Time.GetUtcNow();
        List<RotationPolicy> scheduled;
        await using (var db = await store.ReadAsync(cancellationToken))
        {
            scheduled = (await db.RotationPolicies.AsNoTracking().Where(p => p.State == PolicyState.Active).ToListAsync(cancellationToken))
                .Where(p => p.Schedule is not null && p.Rule.Remedy is not null).ToList();
        }

        var opened = 0;
        foreach (var policy in scheduled)
        {
            if (policy.Schedule!.PeriodAt(now, policy.DecidedAt ?? policy.ProposedAt) is not { } period)
            {
                continue;
            }

            List<ComplianceResult> due;
            await using (var db = await store.ReadAsync(cancellationToken))
            {
                var key = $"{policy.PolicyId:N}@{period.UtcDateTime:yyyyMMddHHmm}";
                if (await db.Campaigns.AnyAsync(c => c.ScheduleKey == key, cancellationToken))
                {
                    continue;
                }

                var until = policy.Schedule.LeadTimeDays is { } lead ? now.AddDays(lead) : now;
                var answers = db.ComplianceResults.AsNoTracking().Where(r => r.PolicyId == policy.PolicyId);
                answers = policy.Schedule.LeadTimeDays is null
                    ? answers.Where(r => r.Status == ComplianceStatus.NonCompliant)
                    : answers.Where(r => (r.Status == ComplianceStatus.NonCompliant || r.Status == ComplianceStatus.Compliant) && r.DueAt != null && r.DueAt <= until);
                due = await answers.ToListAsync(cancellationToken);
            }

            var group = due.GroupBy(r => r.Target).OrderByDescending(g => g.Count()).FirstOrDefault();
            if (group is null)
            {
                continue;
            }

            if (await campaigns.OpenScheduledAsync(policy, period, group.Key, policy.Rule.Remedy!.Value, group.Select(r => r.KeyId).ToList(), cancellationToken))
            {
                opened++;
            }
        }

        return opened;
    }
}
