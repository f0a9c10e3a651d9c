using KmsConsole.Rotation.Audit;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Persistence;

/// <summary>
/// Writes a change and its audit events in one transaction, so a step's result and its audit event are committed
/// together or not at all. Every write transaction first takes the database's writer lock (<see cref="AuditChain.LockAsync"/>),
/// so the audit chain's next sequence and previous hash are read and written by one writer at a time across every
/// console instance on the database: no two instances append the same sequence and no save fails on it.
/// </summary>
internal sealed class RotationStore(IDbContextFactory<RotationDbContext> contexts, RotationDatabase database, TimeProvider time,
    Notifications.NotificationOutbox? outbox = null, Changes.IChangeFeed? changes = null)
{
    // Writers in this process queue here rather than in the database, which spares SQLite busy waits.
    private readonly SemaphoreSlim _writers = new(1, 1);

    public TimeProvider Time => time;

    public async Task<RotationDbContext> ReadAsync(CancellationToken cancellationToken)
    {
        await database.EnsureMigratedAsync(cancellationToken);
        return await contexts.CreateDbContextAsync(cancellationToken);
    }

    public async Task<T> WriteAsync<T>(Func<RotationDbContext, AuditWriter, Task<T>> change, CancellationToken cancellationToken)
    {
        await database.EnsureMigratedAsync(cancellationToken);
        await _writers.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await AuditChain.LockAsync(db, cancellationToken);
            var result = await change(db, new AuditWriter(db, time, cancellationToken));
            // Notifications the change causes go into the outbox in this same transaction.
            if (outbox is not null)
            {
                await outbox.CollectAsync(db, time.GetUtcNow(), cancellationToken);
            }

            var written = Changes.WrittenChanges.Of(db);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            foreach (var published in written)
            {
                changes?.Publish(published);
            }

            return result;
        }
        finally
        {
            _writers.Release();
        }
    }

    public Task WriteAsync(Func<AuditWriter, Task> change, CancellationToken cancellationToken) =>
        WriteAsync(async (_, audit) => { await change(audit); return true; }, cancellationToken);

    public Task WriteAsync(Func<RotationDbContext, AuditWriter, Task> change, CancellationToken cancellationToken) =>
        WriteAsync(async (db, audit) => { await change(db, audit); return true; }, cancellationToken);
}

internal sealed class AuditWriter(RotationDbContext db, TimeProvider time, CancellationToken cancellationToken)
{
    public Task<AuditEvent> AppendAsync(string actor, string action, string subject, string details, string? awsRequestId = null, Guid? runId = null) =>
        AuditChain.AppendAsync(db, time.GetUtcNow(), actor, action, subject, details, awsRequestId, runId, cancellationToken);
}
