using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KmsConsole.LocalKms.Hosting;

/// <summary>
/// Periodically applies what time makes due even when no one touches a key: automatic rotations,
/// expiry of imported material, the end of deletion windows. Runs on the endpoint's clock.
/// </summary>
public sealed class TimeDrivenChanges(LocalKmsRuntime runtime, LocalKmsClock clock, LocalKmsOptions options, ILogger<TimeDrivenChanges> logger)
    : IHostedService, IDisposable
{
    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = clock.CreateTimer(_ => ApplyNow(), null, options.SweepInterval, options.SweepInterval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public void ApplyNow()
    {
        try
        {
            foreach (var ring in runtime.Rings.All)
            {
                if (!ring.AnythingDue(clock.GetUtcNow()))
                {
                    continue;
                }

                lock (ring.Gate)
                {
                    ring.Sweep(clock.GetUtcNow());
                }
            }
        }
        catch (Exception error)
        {
            logger.LogError("Applying time-driven key changes failed with {ExceptionType}", error.GetType().Name);
        }
    }

    public void Dispose() => _timer?.Dispose();
}
