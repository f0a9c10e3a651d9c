namespace KmsConsole.LocalKms.Hosting;

/// <summary>
/// The endpoint's clock: the host's (or a test's) TimeProvider plus an offset a user can move for rehearsals,
/// so rotations and expiries due in months happen now. Timers run on the inner provider.
/// </summary>
public sealed class LocalKmsClock(TimeProvider inner, TimeSpan initialOffset) : TimeProvider
{
    private long _offsetTicks = initialOffset.Ticks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public TimeProvider Inner => inner;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public void SetOffset(TimeSpan offset) => Interlocked.Exchange(ref _offsetTicks, offset.Ticks);

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}
