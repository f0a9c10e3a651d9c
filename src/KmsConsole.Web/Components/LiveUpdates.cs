using KmsConsole.Rotation.Changes;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Web.Components;

/// <summary>
/// How a page follows the console's changes, in one place: it subscribes to <see cref="IChangeFeed"/>, leaves the
/// publisher's thread at once (an orchestrator or a request, which does not wait for pages), asks the page whether the
/// change concerns it, and reloads on the page's renderer, at most once at a time with one more queued
/// (<see cref="CoalescedReload"/>). A failed reload is logged, never lost; disposing ends the subscription.
/// </summary>
public sealed class LiveUpdates : IDisposable
{
    private readonly IDisposable _subscription;
    private readonly CoalescedReload _reload;
    private readonly ILogger _logger;
    private readonly Func<Func<Task>, Task> _dispatch;
    private readonly Func<ConsoleChange, Task<bool>> _concerns;
    private volatile bool _disposed;

    private LiveUpdates(IChangeFeed feed, ILogger logger, Func<Func<Task>, Task> dispatch, Func<ConsoleChange, Task<bool>> concerns, Func<Task> reload)
    {
        _logger = logger;
        _dispatch = dispatch;
        _concerns = concerns;
        _reload = new CoalescedReload(reload);
        _subscription = feed.Subscribe(OnChange);
    }

    /// <summary>The last change's handling, kept so it is awaited rather than dropped; it never faults (failures are logged).</summary>
    public Task Pending { get; private set; } = Task.CompletedTask;

    /// <param name="dispatch">The component's <c>InvokeAsync</c>: runs the reload on its renderer.</param>
    /// <param name="concerns">Whether a change matters to the page (read off the renderer; may read the database).</param>
    /// <param name="reload">Reads again and renders; runs on the renderer.</param>
    public static LiveUpdates Follow(IChangeFeed feed, ILogger logger, Func<Func<Task>, Task> dispatch, Func<ConsoleChange, Task<bool>> concerns,
        Func<Task> reload) => new(feed, logger, dispatch, concerns, reload);

    /// <summary>As <see cref="Follow"/>, for a page that follows every change of the given kinds.</summary>
    public static LiveUpdates Follow(IChangeFeed feed, ILogger logger, Func<Func<Task>, Task> dispatch, Func<Task> reload, params ChangeKind[] kinds) =>
        new(feed, logger, dispatch, change => Task.FromResult(kinds.Contains(change.Kind)), reload);

    private void OnChange(ConsoleChange change)
    {
        if (!_disposed)
        {
            Pending = Task.Run(() => HandleAsync(change));
        }
    }

    private async Task HandleAsync(ConsoleChange change)
    {
        try
        {
            // Missed: the feed was disconnected and changes of any kind may have gone by, so every page reads again.
            if (!_disposed && (change.Kind == ChangeKind.Missed || await _concerns(change)) && !_disposed)
            {
                await _dispatch(_reload.RequestAsync);
            }
        }
        catch (ObjectDisposedException) when (_disposed)
        {
            // The page went away while the change was on its way.
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "A page could not follow the change {Kind} {Id}; it shows what it last read until the next change.", change.Kind, change.Id);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _subscription.Dispose();
    }
}
