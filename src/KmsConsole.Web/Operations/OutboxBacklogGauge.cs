using System.Diagnostics.Metrics;
using KmsConsole.Rotation.Notifications;

namespace KmsConsole.Web.Operations;

/// <summary>
/// The notification outbox's backlog as a gauge (<c>kmsconsole.notifications.outbox.backlog</c>): deliveries not sent yet,
/// counted in the database every <see cref="Interval"/> (so every instance reports the same shared backlog). A gauge's
/// callback runs on the exporter's thread and must not wait for a database, so it reads the last count.
/// Registered only when telemetry is on.
/// </summary>
public sealed class OutboxBacklogGauge : BackgroundService
{
    public const string MeterName = "KmsConsole.Web";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    private readonly NotificationDeliveries _deliveries;
    private readonly ILogger<OutboxBacklogGauge> _logger;
    private readonly Meter _meter;
    private long _backlog = -1;

    public OutboxBacklogGauge(NotificationDeliveries deliveries, IMeterFactory meters, ILogger<OutboxBacklogGauge> logger)
    {
        _deliveries = deliveries;
        _logger = logger;
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge("kmsconsole.notifications.outbox.backlog", Observe, "{delivery}",
            "Notification deliveries not sent yet (pending or waiting to be tried again).");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        var backlog = Interlocked.Read(ref _backlog);
        return backlog < 0 ? [] : [new Measurement<long>(backlog)];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                Interlocked.Exchange(ref _backlog, await _deliveries.BacklogAsync(stoppingToken));
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning(e, "Counting the notification outbox failed; the backlog gauge keeps its last value.");
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
