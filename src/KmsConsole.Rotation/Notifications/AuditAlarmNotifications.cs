using KmsConsole.Rotation.Audit;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Notifications;

/// <summary>
/// The audit trail reporting tampering (its append-only protection restored, its chain found broken): told to Auditors
/// and Admins, from the very audit event that records the alarm, so it is sent once however many instances noticed.
/// </summary>
internal sealed class AuditAlarmNotifications : IChangeNotifications
{
    public Task<IReadOnlyList<NotificationMessage>> CollectAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        IReadOnlyList<NotificationMessage> messages = db.ChangeTracker.Entries<AuditEvent>()
            .Where(e => e.State == EntityState.Added && e.Entity.Action is AuditIntegrity.AppendOnlyRestored or AuditIntegrity.ChainBroken)
            .Select(e => e.Entity)
            .Select(alarm => new NotificationMessage
            {
                Id = Guid.NewGuid(),
                Event = NotificationEvent.AuditTampered,
                CreatedAt = now,
                Key = "the audit trail",
                RequestedBy = alarm.Actor,
                RequestedByName = "KmsConsole",
                ApproverRole = Roles.Auditor,
                Summary = $"{alarm.Details} Someone with SQL access to the console's database changed it: find out who, and verify the chain on the Audit page.",
                Page = "/audit",
            })
            .ToList();
        return Task.FromResult(messages);
    }
}
