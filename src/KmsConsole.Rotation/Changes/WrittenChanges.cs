using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Changes;

/// <summary>
/// The changes a write makes that followers learn of from the write itself, whichever service made it: events appended
/// to the audit trail, key snapshots saved by a sync or a refresh. Runs and grants are published by their services with
/// their ids. A new table that pages follow (campaigns) adds its line here.
/// </summary>
internal static class WrittenChanges
{
    /// <summary>Read from the change tracker before saving; published once the transaction committed.</summary>
    public static IReadOnlyList<ConsoleChange> Of(RotationDbContext db)
    {
        var changes = new List<ConsoleChange>(2);
        if (db.ChangeTracker.Entries<AuditEvent>().Any(e => e.State == EntityState.Added))
        {
            changes.Add(new ConsoleChange(ChangeKind.Audit));
        }

        if (db.ChangeTracker.Entries<KeySnapshot>().Any(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted))
        {
            changes.Add(new ConsoleChange(ChangeKind.Inventory));
        }

        return changes;
    }
}
