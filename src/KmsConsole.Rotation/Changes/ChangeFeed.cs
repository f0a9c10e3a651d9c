namespace KmsConsole.Rotation.Changes;

/// <summary>
/// What changed: a run (its state, steps, approvals), a policy grant, the key inventory, the audit trail. A kind added
/// here travels between instances as it is (by name).
/// </summary>
public enum ChangeKind
{
    Run,
    Grant,
    Inventory,
    Audit,
    Governance,

    /// <summary>Changes may have been missed (the feed across instances was disconnected): whatever a page shows, it reads again.</summary>
    Missed,
}

/// <summary>One change; <paramref name="Id"/> is the run or grant that changed, null for the inventory and the audit trail.</summary>
public sealed record ConsoleChange(ChangeKind Kind, Guid? Id = null);

/// <summary>
/// The one subscription to what changes in the console, for pages and anything else that follows it live. The
/// in-process feed serves one instance (SQLite); with PostgreSQL, <see cref="PostgresChangeFeed"/> (LISTEN/NOTIFY) is
/// registered in its place and carries every change to every instance.
/// </summary>
public interface IChangeFeed
{
    /// <summary>Calls <paramref name="handler"/> for every change published from now until the subscription is disposed.</summary>
    IDisposable Subscribe(Action<ConsoleChange> handler);

    void Publish(ConsoleChange change);
}

/// <summary>The feed of one process: each change reaches every current subscriber at once, on the publisher's thread.</summary>
public sealed class InProcessChangeFeed : IChangeFeed
{
    private readonly Lock _gate = new();
    private Action<ConsoleChange>[] _handlers = [];

    public IDisposable Subscribe(Action<ConsoleChange> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, handler];
        }

        return new Subscription(this, handler);
    }

    public void Publish(ConsoleChange change)
    {
        // Subscribers must not fail the publisher (a run's step, a request): each handler is its own.
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            handler(change);
        }
    }

    private void Unsubscribe(Action<ConsoleChange> handler)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_handlers, handler);
            if (index >= 0)
            {
                _handlers = [.. _handlers[..index], .. _handlers[(index + 1)..]];
            }
        }
    }

    private sealed class Subscription(InProcessChangeFeed feed, Action<ConsoleChange> handler) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                feed.Unsubscribe(handler);
            }
        }
    }
}
