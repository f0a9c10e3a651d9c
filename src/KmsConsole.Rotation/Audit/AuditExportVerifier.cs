using System.Globalization;

namespace KmsConsole.Rotation.Audit;

/// <summary>
/// A chain head an auditor noted earlier ("sequence:hash", as the Audit page and every verification show it). The chain
/// cannot prove on its own that nothing was cut from its end; an anchor kept outside the database can.
/// </summary>
public sealed record AuditAnchor(long Sequence, string Hash)
{
    public static AuditAnchor Parse(string text)
    {
        var parts = text.Trim().Split(':');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence < 1
            || parts[1].Length != 64 || !parts[1].All(Uri.IsHexDigit))
        {
            throw new FormatException($"'{text}' is not a chain head: expected <sequence>:<64 hex digits of its hash>, e.g. 1200:9f86d0…");
        }

        return new AuditAnchor(sequence, parts[1].ToLowerInvariant());
    }

    public override string ToString() => $"{Sequence}:{Hash}";
}

/// <summary>What checking an exported CSV found.</summary>
/// <param name="Complete">The export starts at event 1 and has no gaps, so every link back to the start was checked.</param>
public sealed record AuditExportVerification(bool Intact, long Rows, bool Complete, long? FirstBrokenSequence, string? Reason, AuditAnchor? Head);

/// <summary>
/// Checks an audit export offline, without the console's database: every row's hash is recomputed from its fields, every
/// pair of consecutive events must link, and an anchor (a head noted earlier) must still be in the export with the same hash.
/// A filtered export skips events, so only the links between neighbouring rows can be checked.
/// </summary>
public static class AuditExportVerifier
{
    public static AuditExportVerification Verify(TextReader reader, AuditAnchor? anchor = null)
    {
        long rows = 0;
        AuditEvent? previous = null;
        var complete = true;
        var anchorSeen = false;
        foreach (var e in AuditCsv.Read(reader))
        {
            var follows = previous is null ? e.Sequence == 1 : e.Sequence == previous.Sequence + 1;
            if (!follows)
            {
                if (previous is not null && e.Sequence <= previous.Sequence)
                {
                    return Broken(rows, e.Sequence, $"Event {e.Sequence} comes after event {previous.Sequence}: the rows are out of order or repeated.");
                }

                complete = false;
            }

            if (AuditChain.FindBreak(e, follows ? previous?.Hash ?? AuditChain.Genesis : null, anchor) is { } reason)
            {
                return Broken(rows, e.Sequence, reason);
            }

            anchorSeen |= anchor is not null && e.Sequence == anchor.Sequence;
            rows++;
            previous = e;
        }

        var head = previous is null ? null : new AuditAnchor(previous.Sequence, previous.Hash);
        if (anchor is not null && !anchorSeen)
        {
            var reason = head is null || anchor.Sequence > head.Sequence
                ? $"The export ends at event {head?.Sequence ?? 0}, before the anchored event {anchor.Sequence}: events were cut from the end of the chain."
                : $"The anchored event {anchor.Sequence} is not in this export (it was filtered out); export the whole trail to check the anchor.";
            return new AuditExportVerification(false, rows, complete, anchor.Sequence, reason, head);
        }

        return new AuditExportVerification(true, rows, complete, null, null, head);

        AuditExportVerification Broken(long checkedRows, long sequence, string reason) => new(false, checkedRows, complete, sequence, reason, null);
    }
}
