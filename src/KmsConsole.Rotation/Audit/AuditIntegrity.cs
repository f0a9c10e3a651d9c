namespace KmsConsole.Rotation.Audit;

/// <summary>One thing found wrong with the audit trail's protection or its chain.</summary>
public sealed record AuditAlarm(DateTimeOffset Time, string Kind, string Message);

/// <summary>
/// What the console found wrong with its audit trail since it started: the health check reports Degraded while
/// any alarm is raised. An alarm stays until the process restarts: by then the audit event that records it is
/// the lasting trace, and a chain that is still broken raises it again at the first check.
/// </summary>
public sealed class AuditIntegrity
{
    public const string AppendOnlyRestored = "audit.append-only-restored";
    public const string ChainBroken = "audit.chain-broken";

    private readonly Lock _gate = new();
    private readonly List<AuditAlarm> _alarms = [];

    public IReadOnlyList<AuditAlarm> Alarms
    {
        get
        {
            lock (_gate)
            {
                return [.. _alarms];
            }
        }
    }

    /// <summary>The last event the chain was verified up to, to continue from.</summary>
    public AuditAnchor? VerifiedHead { get; internal set; }

    public DateTimeOffset? LastChainCheck { get; internal set; }

    internal bool IsRaised(string kind, string message)
    {
        lock (_gate)
        {
            return _alarms.Any(a => a.Kind == kind && a.Message == message);
        }
    }

    /// <summary>Raises <paramref name="alarm"/> unless the same one (kind and message) is already raised; true when it is new.</summary>
    internal bool Raise(AuditAlarm alarm)
    {
        lock (_gate)
        {
            if (_alarms.Any(a => a.Kind == alarm.Kind && a.Message == alarm.Message))
            {
                return false;
            }

            _alarms.Add(alarm);
            return true;
        }
    }
}
