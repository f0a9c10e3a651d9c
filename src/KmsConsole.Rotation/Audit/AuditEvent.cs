namespace KmsConsole.Rotation;

/// <summary>One link of the append-only audit chain.</summary>
public sealed class AuditEvent
{
    public long Sequence { get; set; }
    public DateTimeOffset Time { get; set; }
    public string Actor { get; set; } = "";
    public string Action { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Details { get; set; } = "";
    public string? AwsRequestId { get; set; }
    public Guid? RunId { get; set; }
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";
}

public sealed record AuditFilter
{
    public string? Actor { get; init; }
    public string? Action { get; init; }
    public string? Subject { get; init; }
    public Guid? RunId { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
}

/// <param name="Head">The last event checked, to note outside the console and give back later as an anchor.</param>
public sealed record AuditChainVerification(bool Intact, long EventsChecked, long? FirstBrokenSequence, string? Reason, Audit.AuditAnchor? Head = null);
