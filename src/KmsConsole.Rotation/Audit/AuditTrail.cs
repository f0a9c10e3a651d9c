using System.Globalization;
using System.Text;
using KmsConsole.Rotation.Audit;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation;

/// <summary>Reads, exports and verifies the audit chain; reading needs the Auditor or Admin role.</summary>
public sealed class AuditTrail
{
    private readonly RotationStore _store;
    private readonly AuditIntegrity _integrity;

    internal AuditTrail(RotationStore store, AuditIntegrity integrity)
    {
        _store = store;
        _integrity = integrity;
    }

    public async Task<PagedResult<AuditEvent>> QueryAsync(Actor actor, AuditFilter filter, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        actor.Require(Roles.Auditor, "read the audit trail");
        pageSize = Math.Clamp(pageSize, 1, 500);
        page = Math.Max(page, 0);
        await using var db = await _store.ReadAsync(cancellationToken);
        var query = Filtered(db, filter);
        var total = await query.CountAsync(cancellationToken);
        var skip = (long)page * pageSize;
        if (filter == NoFilter && total > 0 && await db.AuditEvents.MaxAsync(e => e.Sequence, cancellationToken) == total)
        {
            // The chain numbers its events 1, 2, 3… without a gap, so the whole trail's page N starts at a known
            // sequence: a seek on the primary key instead of an OFFSET that reads past half a million rows.
            var newest = total - skip;
            var seek = await db.AuditEvents.AsNoTracking().Where(e => e.Sequence <= newest)
                .OrderByDescending(e => e.Sequence).Take(pageSize).ToListAsync(cancellationToken);
            return new PagedResult<AuditEvent>(seek, total, page, pageSize);
        }

        var items = await query.OrderByDescending(e => e.Sequence).Skip(page * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new PagedResult<AuditEvent>(items, total, page, pageSize);
    }

    private static readonly AuditFilter NoFilter = new();

    /// <summary>Writes the filtered events as CSV in sequence order, row by row from the database.</summary>
    public async Task ExportCsvAsync(Actor actor, Stream output, AuditFilter filter, CancellationToken cancellationToken = default)
    {
        actor.Require(Roles.Auditor, "read the audit trail");
        var writer = new StreamWriter(output, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
        await using (writer)
        {
            await writer.WriteLineAsync(AuditCsv.Header);
            var rows = 0;
            await using (var db = await _store.ReadAsync(cancellationToken))
            {
                await foreach (var e in Filtered(db, filter).OrderBy(e => e.Sequence).AsAsyncEnumerable().WithCancellation(cancellationToken))
                {
                    await writer.WriteLineAsync(AuditCsv.Row(e));
                    if (++rows % 500 == 0)
                    {
                        await writer.FlushAsync(cancellationToken);
                    }
                }
            }

            await writer.FlushAsync(cancellationToken);
        }

        await _store.WriteAsync(audit => audit.AppendAsync(actor.UserId, "audit.exported", "audit", Describe(filter)), cancellationToken);
    }

    /// <summary>Walks the whole chain; with an <paramref name="anchor"/> (a head noted earlier) also proves nothing was cut from its end since.</summary>
    public async Task<AuditChainVerification> VerifyAsync(Actor actor, CancellationToken cancellationToken = default, AuditAnchor? anchor = null)
    {
        actor.Require(Roles.Auditor, "read the audit trail");
        await using var db = await _store.ReadAsync(cancellationToken);
        return Noted(await AuditChain.VerifyAsync(db, cancellationToken, anchor));
    }

    /// <summary>
    /// The chain up to its head now, walking only the events appended since the last verified head (the background
    /// check's or an earlier walk's; the head itself re-hashed), or the whole chain when none is known yet. What opening
    /// the Audit page shows at once at a million events; <see cref="VerifyAsync"/> walks everything again on demand.
    /// <see cref="AuditChainVerification.EventsChecked"/> counts every event up to the head, earlier walks included.
    /// </summary>
    public async Task<AuditChainVerification> VerifyLatestAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        actor.Require(Roles.Auditor, "read the audit trail");
        if (_integrity.VerifiedHead is not { } head)
        {
            return await VerifyAsync(actor, cancellationToken);
        }

        var since = await VerifyFromAsync(actor, head, cancellationToken);
        return since.Intact ? since with { EventsChecked = since.Head!.Sequence } : since;
    }

    /// <summary>The events from <paramref name="head"/>, verified earlier, on; an intact result becomes the verified head.</summary>
    internal async Task<AuditChainVerification> VerifyFromAsync(Actor actor, AuditAnchor head, CancellationToken cancellationToken)
    {
        actor.Require(Roles.Auditor, "read the audit trail");
        await using var db = await _store.ReadAsync(cancellationToken);
        return Noted(await AuditChain.VerifyFromAsync(db, head, cancellationToken));
    }

    private AuditChainVerification Noted(AuditChainVerification result)
    {
        if (result is { Intact: true, Head: { } verified })
        {
            _integrity.VerifiedHead = verified;
        }

        return result;
    }

    private static IQueryable<AuditEvent> Filtered(RotationDbContext db, AuditFilter filter)
    {
        var query = db.AuditEvents.AsNoTracking();
        if (filter.Actor is { Length: > 0 } who)
        {
            query = query.Where(e => e.Actor == who);
        }

        if (filter.Action is { Length: > 0 } action)
        {
            query = query.Where(e => e.Action == action);
        }

        if (filter.Subject is { Length: > 0 } subject)
        {
            query = AuditSubjectSearch.Containing(db, query, subject);
        }

        if (filter.RunId is { } runId)
        {
            query = query.Where(e => e.RunId == runId);
        }

        if (filter.From is { } from)
        {
            query = query.Where(e => e.Time >= from);
        }

        if (filter.To is { } to)
        {
            query = query.Where(e => e.Time < to);
        }

        return query;
    }

    private static string Describe(AuditFilter f) =>
        $"CSV export (actor={f.Actor}, action={f.Action}, subject={f.Subject}, run={f.RunId}, from={f.From:u}, to={f.To:u})";
}
