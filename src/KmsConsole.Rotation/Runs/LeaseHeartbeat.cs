using KmsConsole.Rotation.Persistence;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Rotation.Runs;

/// <summary>
/// Keeps a run's lease while one of its steps runs, however long the step takes: every third of the lease it renews the
/// lease with a conditional update that only succeeds while this instance still owns the run. When the renewal finds the
/// lease gone (another instance claimed the run, or the run was ended or changed hands), or cannot confirm it before it
/// runs out, <see cref="Token"/> is cancelled so the step stops at its next await.
/// </summary>
internal sealed class LeaseHeartbeat : IAsyncDisposable
{
    private readonly RotationStore _store;
    private readonly Guid _runId;
    private readonly string _owner;
    private readonly TimeSpan _duration;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _step;
    private readonly Task _loop;
    private DateTimeOffset _until;
    private volatile bool _lost;

    private LeaseHeartbeat(RotationStore store, Guid runId, string owner, DateTimeOffset until, TimeSpan duration, ILogger logger,
        CancellationToken cancellationToken)
    {
        _store = store;
        _runId = runId;
        _owner = owner;
        _until = until;
        _duration = duration;
        _logger = logger;
        _step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts renewing a lease held until <paramref name="until"/>.</summary>
    public static LeaseHeartbeat Start(RotationStore store, Guid runId, string owner, DateTimeOffset until, TimeSpan duration, ILogger logger,
        CancellationToken cancellationToken) =>
        new(store, runId, owner, until, duration, logger, cancellationToken);

    /// <summary>The step's token: cancelled when the lease is lost, or when <c>cancellationToken</c> given at start is.</summary>
    public CancellationToken Token => _step.Token;

    public bool LeaseLost => _lost;

    private TimeSpan Interval => _duration / 3;

    private async Task LoopAsync()
    {
        while (true)
        {
            try
            {
                await Task.Delay(Interval, _store.Time, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = _store.Time.GetUtcNow();
            try
            {
                // A renewal that hangs (a locked database) must not outlive the lease: it gets half an interval.
                using var patience = new CancellationTokenSource(Interval / 2, _store.Time);
                using var renewal = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, patience.Token);
                await using var db = await _store.ReadAsync(renewal.Token);
                if (!await RunLeases.TryRenewAsync(db, _runId, _owner, now, _duration, renewal.Token))
                {
                    Lose("the run is no longer leased to this instance (another instance claimed it, or it ended)");
                    return;
                }

                _until = now + _duration;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Give the lease up while it still holds, never after it ran out: once it has, another instance may
                // already be running this step.
                if (_store.Time.GetUtcNow() + Interval >= _until)
                {
                    Lose($"the lease could not be renewed before it runs out at {_until:u} ({e.Message})");
                    return;
                }

                _logger.LogWarning("Renewing the lease of run {RunId} failed; retrying before it runs out at {Until}: {Message}", _runId, _until, e.Message);
            }
        }
    }

    private void Lose(string why)
    {
        _lost = true;
        _logger.LogWarning("Orchestrator {Owner} lost the lease of run {RunId}: {Why}; it stops the step and records nothing.", _owner, _runId, why);
        _step.Cancel();
    }

    /// <summary>Stops renewing; the engine's own saves renew the lease from here.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _step.Dispose();
    }
}
