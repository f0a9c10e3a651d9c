using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Audit;

/// <summary>
/// The append-only, SHA-256 hash-chained audit trail: each event's hash covers its own fields and the
/// previous event's hash, so altering, removing or reordering any row breaks every later link.
/// </summary>
internal static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The key of the PostgreSQL advisory lock that serialises appends ("KMSAUDIT" in ASCII).</summary>
    private const string TakeAppendLock = "SELECT pg_advisory_xact_lock(5426084666119833940)";

    /// <summary>
    /// Makes the open transaction of <paramref name="db"/> the only writer of the chain until it ends, so the head it reads
    /// next is the head it appends to. PostgreSQL: a transaction-scoped advisory lock, taken before the transaction touches
    /// any row (so a writer never waits for it while holding a row another writer needs) and released by commit or roll
    /// back; under READ COMMITTED the head read after it sees the previous holder's append. SQLite: the transaction was
    /// begun with BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default), which already holds the file's single write lock, and
    /// a second connection waits for it (busy timeout) instead of failing.
    /// </summary>
    public static async Task LockAsync(RotationDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("The audit chain is locked only inside a write transaction.");
        }

        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlRawAsync(TakeAppendLock, cancellationToken);
        }
    }

    /// <summary>Adds the next link to <paramref name="db"/>; saved with the caller's change, in its transaction (locked by <see cref="LockAsync"/>).</summary>
    public static async Task<AuditEvent> AppendAsync(RotationDbContext db, DateTimeOffset time, string actor, string action,
        string subject, string details, string? awsRequestId, Guid? runId, CancellationToken cancellationToken)
    {
        var pending = db.ChangeTracker.Entries<AuditEvent>().Where(e => e.State == EntityState.Added)
            .Select(e => e.Entity).OrderByDescending(e => e.Sequence).FirstOrDefault();
        var last = pending ?? await db.AuditEvents.AsNoTracking().OrderByDescending(e => e.Sequence).FirstOrDefaultAsync(cancellationToken);
        var link = new AuditEvent
        {
            Sequence = (last?.Sequence ?? 0) + 1,
            Time = time,
            Actor = actor,
            Action = action,
            Subject = subject,
            Details = details,
            AwsRequestId = awsRequestId,
            RunId = runId,
            PreviousHash = last?.Hash ?? Genesis,
        };
        link.Hash = HashOf(link);
        db.AuditEvents.Add(link);
        return link;
    }

    public static string HashOf(AuditEvent e)
    {
        var canonical = string.Join('\n',
            e.Sequence.ToString(CultureInfo.InvariantCulture),
            e.Time.UtcTicks.ToString(CultureInfo.InvariantCulture),
            Escape(e.Actor), Escape(e.Action), Escape(e.Subject), Escape(e.Details),
            Escape(e.AwsRequestId ?? ""), e.RunId?.ToString("N") ?? "", e.PreviousHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>
    /// Why <paramref name="e"/> breaks the chain, or null: it links to <paramref name="expectedPrevious"/> (null when the
    /// event before it is not at hand, as in a filtered export), its content matches its hash, and it is the event
    /// <paramref name="anchor"/> names when it has the anchor's sequence.
    /// </summary>
    internal static string? FindBreak(AuditEvent e, string? expectedPrevious, AuditAnchor? anchor)
    {
        if (expectedPrevious is not null && !string.Equals(e.PreviousHash, expectedPrevious, StringComparison.Ordinal))
        {
            return e.Sequence == 1
                ? "Event 1 does not start the chain: its previous hash is not the genesis value."
                : $"Event {e.Sequence} does not link to event {e.Sequence - 1}: its previous hash differs from that event's hash.";
        }

        if (!string.Equals(HashOf(e), e.Hash, StringComparison.Ordinal))
        {
            return $"Event {e.Sequence} was altered: its content no longer matches its hash.";
        }

        return anchor is not null && e.Sequence == anchor.Sequence && !string.Equals(e.Hash, anchor.Hash, StringComparison.Ordinal)
            ? $"Event {e.Sequence} is not the event anchored at {anchor}: the chain was rewritten from there on."
            : null;
    }

    /// <summary>Walks the chain in sequence order, streaming, and reports the first broken link.</summary>
    public static async Task<AuditChainVerification> VerifyAsync(RotationDbContext db, CancellationToken cancellationToken, AuditAnchor? anchor = null)
    {
        var expectedPrevious = Genesis;
        long expectedSequence = 1;
        long checkedCount = 0;
        await foreach (var e in db.AuditEvents.AsNoTracking().OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (e.Sequence != expectedSequence)
            {
                return new AuditChainVerification(false, checkedCount, expectedSequence,
                    $"Event {expectedSequence} is missing (the next stored event is {e.Sequence}).");
            }

            if (FindBreak(e, expectedPrevious, anchor) is { } reason)
            {
                return new AuditChainVerification(false, checkedCount, e.Sequence, reason);
            }

            checkedCount++;
            expectedSequence++;
            expectedPrevious = e.Hash;
        }

        var head = checkedCount == 0 ? null : new AuditAnchor(expectedSequence - 1, expectedPrevious);
        if (anchor is not null && anchor.Sequence >= expectedSequence)
        {
            return new AuditChainVerification(false, checkedCount, anchor.Sequence,
                $"The chain ends at event {expectedSequence - 1}, before the anchored event {anchor.Sequence}: events were cut from its end.", head);
        }

        return new AuditChainVerification(true, checkedCount, null, null, head);
    }

    /// <summary>
    /// The events from <paramref name="head"/> (verified earlier) on: the head must be unchanged and the rest linked to it
    /// without a gap. <see cref="AuditChainVerification.EventsChecked"/> counts the events walked now.
    /// </summary>
    public static async Task<AuditChainVerification> VerifyFromAsync(RotationDbContext db, AuditAnchor head, CancellationToken cancellationToken)
    {
        string? expectedPrevious = null;
        var expectedSequence = head.Sequence;
        long checkedCount = 0;
        var events = db.AuditEvents.AsNoTracking().Where(e => e.Sequence >= head.Sequence).OrderBy(e => e.Sequence).AsAsyncEnumerable();
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            if (e.Sequence != expectedSequence)
            {
                return new AuditChainVerification(false, checkedCount, expectedSequence, $"Event {expectedSequence} is missing (the next stored event is {e.Sequence}).");
            }

            if (FindBreak(e, expectedPrevious, e.Sequence == head.Sequence ? head : null) is { } reason)
            {
                return new AuditChainVerification(false, checkedCount, e.Sequence, reason);
            }

            checkedCount++;
            expectedSequence++;
            expectedPrevious = e.Hash;
        }

        return checkedCount == 0
            ? new AuditChainVerification(false, 0, head.Sequence, $"Event {head.Sequence}, verified earlier, is gone: events were cut from the chain's end.")
            : new AuditChainVerification(true, checkedCount, null, null, new AuditAnchor(expectedSequence - 1, expectedPrevious!));
    }
}
