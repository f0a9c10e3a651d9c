using KmsConsole.Rotation.Audit;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Persistence;

/// <summary>
/// Writes a change and its audit events in one transaction. Writers in this process take turns, so the
/// audit chain's next sequence is read and written without a race; a writer in another process that wins
/// the same sequence makes the insert fail on the key and the change is retried.
/// </summary>
internal sealed class RotationStore(IDbContextFactory<RotationDbContext> contexts, RotationDatabase database, TimeProvider time,
    Notifications.NotificationOutbox? outbox = null)
{
    private static readonly SemaphoreSlim Writers = new(1, 1);

    public TimeProvider Time => time;

    public async Task<RotationDbContext> ReadAsync(CancellationToken cancellationToken)
    {
        await database.EnsureMigratedAsync(cancellationToken);
        return await contexts.CreateDbContextAsync(cancellationToken);
    }

    public async Task<T> WriteAsync<T>(Func<RotationDbContext, AuditWriter, Task<T>> change, CancellationToken cancellationToken)
    {
        await database.EnsureMigratedAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            await Writers.WaitAsync(cancellationToken);
            try
            {
                await using var db = await contexts.CreateDbContextAsync(cancellationToken);
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var result = await change(db, new AuditWriter(db, time, cancellationToken));
                // Notifications the change causes go into the outbox in this same transaction.
                if (outbox is not null)
                {
                    await outbox.CollectAsync(db, time.GetUtcNow(), cancellationToken);
                }

                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return result;
            }
            catch (DbUpdateException e) when (e is not DbUpdateConcurrencyException && attempt < 3 && IsAuditSequenceClash(e))
            {
                // Another console instance appended the same audit sequence first; read the chain again.
            }
            finally
            {
                Writers.Release();
            }
        }
    }

    public Task WriteAsync(Func<AuditWriter, Task> change, CancellationToken cancellationToken) =>
        WriteAsync(async (_, audit) => { await change(audit); return true; }, cancellationToken);

    public Task WriteAsync(Func<RotationDbContext, AuditWriter, Task> change, CancellationToken cancellationToken) =>
        WriteAsync(async (db, audit) => { await change(db, audit); return true; }, cancellationToken);

    private static bool IsAuditSequenceClash(DbUpdateException e) =>
        e.Entries.Any(entry => entry.Entity is AuditEvent);
}

internal sealed class AuditWriter(RotationDbContext db, TimeProvider time, CancellationToken cancellationToken)
{
    public Task<AuditEvent> AppendAsync(string actor, string action, string subject, string details, string? awsRequestId = null, Guid? runId = null) =>
        AuditChain.AppendAsync(db, time.GetUtcNow(), actor, action, subject, details, awsRequestId, runId, cancellationToken);
}
