using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Notifications;

/// <summary>A source of events found by looking at the database at a time (nothing changed to cause them); each message carries its <see cref="NotificationMessage.DedupKey"/>.</summary>
internal interface IScheduledNotifications
{
    Task<IReadOnlyList<NotificationMessage>> FindAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// Runs the scheduled sources and writes what they find that was not written before. The check runs inside the store's
/// write transaction, which holds the database's writer lock on every instance (PostgreSQL's advisory lock, SQLite's
/// write transaction), so two instances checking at once write each event once; the unique dedup key backs that up.
/// </summary>
public sealed class NotificationChecks
{
    private readonly RotationStore _store;
    private readonly IEnumerable<IScheduledNotifications> _sources;
    private readonly NotificationOptions _options;

    internal NotificationChecks(RotationStore store, IEnumerable<IScheduledNotifications> sources, IOptions<NotificationOptions> options)
    {
        _store = store;
        _sources = sources;
        _options = options.Value;
    }

    /// <summary>Writes the events due now; answers how many were new.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken = default)
    {
        return await _store.WriteAsync(async (db, _) =>
        {
            var channels = await NotificationChannelDirectory.NamesAsync(db, _options, cancellationToken);
            if (channels.Count == 0)
            {
                return 0;
            }

            var now = _store.Time.GetUtcNow();
            var found = new List<NotificationMessage>();
            foreach (var source in _sources)
            {
                found.AddRange(await source.FindAsync(db, now, cancellationToken));
            }

            var keys = found.Select(m => m.DedupKey!).Distinct(StringComparer.Ordinal).ToList();
            var written = (await db.NotificationMessages.AsNoTracking().Where(m => m.DedupKey != null && keys.Contains(m.DedupKey))
                .Select(m => m.DedupKey!).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
            var added = 0;
            foreach (var message in found.Where(m => written.Add(m.DedupKey!)))
            {
                db.NotificationMessages.Add(NotificationOutbox.WithDeliveries(message, channels, now));
                added++;
            }

            return added;
        }, cancellationToken);
    }
}

/// <summary>Runs <see cref="NotificationChecks"/> every <see cref="NotificationOptions.CheckInterval"/> while the console runs.</summary>
internal sealed class NotificationCheckSchedule(NotificationChecks checks, IOptions<NotificationOptions> options, ILogger<NotificationCheckSchedule> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var added = await checks.CheckAsync(stoppingToken);
                if (added > 0)
                {
                    logger.LogInformation("The notification check found {Count} new event(s).", added);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "The notification check failed; trying again in {Interval}.", options.Value.CheckInterval);
            }

            try
            {
                await Task.Delay(options.Value.CheckInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>
/// Imported key material that expires within one of <see cref="NotificationOptions.MaterialExpiryThresholds"/> days, from
/// the inventory's last sync: once per key, threshold and ValidTo (a re-import with a later ValidTo starts afresh). Only the
/// smallest threshold the key is within is sent, so a console started five days before expiry says "7 days", not also "30".
/// </summary>
internal sealed class MaterialExpiryNotifications(IOptions<NotificationOptions> options) : IScheduledNotifications
{
    public async Task<IReadOnlyList<NotificationMessage>> FindAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var thresholds = options.Value.MaterialExpiryThresholds;
        var horizon = now.AddDays(thresholds.Max());
        var keys = await db.KeySnapshots.AsNoTracking()
            .Where(k => k.ValidTo != null && k.ValidTo > now && k.ValidTo <= horizon)
            .ToListAsync(cancellationToken);
        return keys.Select(k =>
        {
            var days = thresholds.Where(t => k.ValidTo!.Value <= now.AddDays(t)).Min();
            var key = k.Aliases.Split(',', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? k.KeyId;
            var left = k.ValidTo!.Value - now;
            return new NotificationMessage
            {
                Id = Guid.NewGuid(),
                Event = NotificationEvent.MaterialExpiring,
                CreatedAt = now,
                Target = k.Target,
                Key = key,
                Workflow = WorkflowKind.ReimportBeforeExpiry,
                ApproverRole = Roles.Requester,
                DedupKey = $"material-expiring:{k.Target}:{k.KeyId}:{days}:{k.ValidTo.Value.UtcTicks}",
                Summary = $"The imported key material of {key} ({k.Target}) expires on {k.ValidTo:u}, in {Math.Max(0, (int)left.TotalDays)} day(s) " +
                          $"(within {days}); KMS then deletes it and the key becomes unusable. Request a re-import before expiry or new material in KmsConsole.",
                Page = $"/keys/{Uri.EscapeDataString(k.Target)}/{Uri.EscapeDataString(k.KeyId)}",
            };
        }).ToList();
    }
}

/// <summary>
/// An approval given at the gate a run still waits at (it needs more approvals) that expires within
/// <see cref="NotificationOptions.ApprovalExpiringWithin"/>: the others who may decide hear of it once per approval, so
/// the gate can pass before the approval no longer counts.
/// </summary>
internal sealed class ApprovalExpiryNotifications(IOptions<NotificationOptions> options, IOptions<RotationOptions> rotation) : IScheduledNotifications
{
    public async Task<IReadOnlyList<NotificationMessage>> FindAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var until = now + options.Value.ApprovalExpiringWithin;
        var runs = await db.Runs.AsNoTracking().Include(r => r.Approvals)
            .Where(r => r.State == RunState.AwaitingApproval
                        && r.Approvals.Any(a => a.Decision == ApprovalDecision.Approved && a.ExpiresAt > now && a.ExpiresAt <= until))
            .ToListAsync(cancellationToken);
        var messages = new List<NotificationMessage>();
        foreach (var run in runs)
        {
            var policy = rotation.Value.PolicyFor(run.Workflow);
            var key = run.AliasName ?? run.KeyId;
            var valid = run.Approvals.Where(a => a.GateStepIndex == run.CurrentStepIndex && a.Decision == ApprovalDecision.Approved && a.ExpiresAt > now).ToList();
            var missing = Math.Max(1, policy.RequiredApprovals - valid.Count);
            foreach (var approval in valid.Where(a => a.ExpiresAt <= until))
            {
                messages.Add(new NotificationMessage
                {
                    Id = Guid.NewGuid(),
                    Event = NotificationEvent.ApprovalExpiring,
                    CreatedAt = now,
                    RunId = run.Id,
                    Target = run.Target,
                    Key = key,
                    Workflow = run.Workflow,
                    RequestedBy = run.RequestedBy,
                    RequestedByName = run.RequestedByName,
                    ApproverRole = policy.ApproverRole,
                    DedupKey = $"approval-expiring:{approval.Id}",
                    Summary = $"{approval.ApproverName}'s approval of {NotificationOutbox.WorkflowLabel(run.Workflow)} on {key} ({run.Target}), requested by " +
                              $"{run.RequestedByName}, expires on {approval.ExpiresAt:u}; {missing} more approval(s) are needed before then. Approve it in KmsConsole.",
                    Page = $"/runs/{run.Id}",
                });
            }
        }

        return messages;
    }
}
