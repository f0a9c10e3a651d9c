using KmsConsole.Rotation.Changes;
using KmsConsole.Web.Components;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Web.Tests.Components;

/// <summary>The one way pages follow changes: off the publisher's thread, filtered, coalesced, failures logged, ended by disposing.</summary>
public sealed class LiveUpdatesTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_reload_that_fails_is_logged_and_the_next_change_reloads_again()
    {
        var feed = new InProcessChangeFeed();
        var logger = new ListLogger();
        var reloads = 0;
        using var live = LiveUpdates.Follow(feed, logger, work => work(), () =>
        {
            reloads++;
            return reloads == 1 ? Task.FromException(new InvalidOperationException("database unavailable")) : Task.CompletedTask;
        }, ChangeKind.Run);

        feed.Publish(new ConsoleChange(ChangeKind.Run, Guid.NewGuid()));
        await live.Pending.WaitAsync(Wait);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Exception is InvalidOperationException);

        feed.Publish(new ConsoleChange(ChangeKind.Run, Guid.NewGuid()));
        await live.Pending.WaitAsync(Wait);
        Assert.Equal(2, reloads);
    }

    [Fact]
    public async Task Missed_changes_reload_a_page_whatever_it_follows()
    {
        var feed = new InProcessChangeFeed();
        var reloads = 0;
        using var live = LiveUpdates.Follow(feed, new ListLogger(), work => work(), _ => Task.FromResult(false), () =>
        {
            Interlocked.Increment(ref reloads);
            return Task.CompletedTask;
        });

        feed.Publish(new ConsoleChange(ChangeKind.Run, Guid.NewGuid()));
        await live.Pending.WaitAsync(Wait);
        Assert.Equal(0, reloads);
        feed.Publish(new ConsoleChange(ChangeKind.Missed));
        await live.Pending.WaitAsync(Wait);
        Assert.Equal(1, reloads);
    }

    [Fact]
    public async Task Changes_of_other_kinds_and_changes_after_dispose_do_not_reload()
    {
        var feed = new InProcessChangeFeed();
        var reloads = 0;
        var live = LiveUpdates.Follow(feed, new ListLogger(), work => work(), () =>
        {
            Interlocked.Increment(ref reloads);
            return Task.CompletedTask;
        }, ChangeKind.Grant);

        feed.Publish(new ConsoleChange(ChangeKind.Run, Guid.NewGuid()));
        await live.Pending.WaitAsync(Wait);
        feed.Publish(new ConsoleChange(ChangeKind.Grant, Guid.NewGuid()));
        await live.Pending.WaitAsync(Wait);
        Assert.Equal(1, reloads);

        live.Dispose();
        feed.Publish(new ConsoleChange(ChangeKind.Grant, Guid.NewGuid()));
        await live.Pending.WaitAsync(Wait);
        Assert.Equal(1, reloads);
    }

    [Fact]
    public async Task The_publisher_does_not_wait_for_a_slow_page()
    {
        var feed = new InProcessChangeFeed();
        var release = new TaskCompletionSource();
        using var live = LiveUpdates.Follow(feed, new ListLogger(), work => work(), () => release.Task, ChangeKind.Run);

        feed.Publish(new ConsoleChange(ChangeKind.Run, Guid.NewGuid()));

        Assert.False(live.Pending.IsCompleted);
        release.SetResult();
        await live.Pending.WaitAsync(Wait);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, exception));
            }
        }
    }
}
