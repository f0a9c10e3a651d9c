namespace KmsConsole.Rotation;

/// <summary>What the hosted orchestrator loop last did, for the ready health check: whether it runs and when it last polled.</summary>
public sealed class OrchestratorLiveness(TimeProvider time)
{
    private long _lastPassTicks;
    private volatile bool _running;
    private volatile bool _inPass;

    /// <summary>False until the loop starts and after it stops.</summary>
    public bool Running => _running;

    /// <summary>True while a pass works on runs (a long step keeps it there; its lease heartbeat shows it is alive).</summary>
    public bool InPass => _inPass;

    public DateTimeOffset? LastPassAt => Interlocked.Read(ref _lastPassTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    internal void Started() => _running = true;

    internal void Stopped() => _running = false;

    internal void PassStarted() => _inPass = true;

    internal void PassEnded()
    {
        _inPass = false;
        Interlocked.Exchange(ref _lastPassTicks, time.GetUtcNow().UtcTicks);
    }
}
