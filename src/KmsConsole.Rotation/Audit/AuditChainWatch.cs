using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Audit;

/// <summary>Section <c>Rotation:AuditWatch</c>: how often the console checks its own audit trail.</summary>
public sealed class AuditWatchOptions
{
    public const string SectionName = "Rotation:AuditWatch";

    public bool Enabled { get; set; } = true;

    /// <summary>How often the append-only protection and the events added since the last check are verified.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the whole chain is walked again from its first event, which catches an edit of an old event.</summary>
    public TimeSpan FullWalkEvery { get; set; } = TimeSpan.FromHours(6);
}

/// <summary>
/// In the background: at start the append-only check and a walk of the whole chain; then, every interval, the
/// append-only check and the events appended since the last verified head (the head itself re-hashed, so an edit
/// of it shows); now and then the whole chain again. A break raises the alarm once: a critical log line, an audit
/// event and a Degraded health check.
/// </summary>
internal sealed class AuditChainWatch(
    RotationStore store, AuditTrail trail, AuditTamperCheck tamper, AuditIntegrity integrity,
    IOptions<AuditWatchOptions> options, ILogger<AuditChainWatch> logger) : BackgroundService
{
    private static readonly Actor Watch = new(AuditTamperCheck.Actor, "Audit integrity check", new HashSet<string> { Roles.Auditor });

    private DateTimeOffset _lastFullWalk = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watch = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException && e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning("The audit trail could not be checked this time ({Reason}); trying again in {Interval}.", e.Message, watch.Interval);
            }

            try
            {
                await Task.Delay(watch.Interval, store.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One round: the append-only protection, then the chain (whole or from the last verified head).</summary>
    public async Task CheckOnceAsync(CancellationToken cancellationToken)
    {
        await tamper.EnsureAppendOnlyAsync(cancellationToken);
        var now = store.Time.GetUtcNow();
        var head = integrity.VerifiedHead;
        var whole = head is null || now - _lastFullWalk >= options.Value.FullWalkEvery;
        var result = whole
            ? await trail.VerifyAsync(Watch, cancellationToken)
            : await trail.VerifyFromAsync(Watch, head!, cancellationToken);
        if (whole)
        {
            _lastFullWalk = now;
        }

        integrity.LastChainCheck = now;
        if (result.Intact)
        {
            return;
        }

        var message = $"The audit chain is broken: {result.Reason} Someone changed the audit table outside the console; " +
            "compare with an export or anchor kept outside the console to find what was changed.";
        if (integrity.IsRaised(AuditIntegrity.ChainBroken, message))
        {
            return;
        }

        logger.LogCritical("{Message}", message);
        try
        {
            await store.WriteAsync(audit => audit.AppendAsync(AuditTamperCheck.Actor, AuditIntegrity.ChainBroken, "audit",
                $"The background check found the chain broken at event {result.FirstBrokenSequence}: {result.Reason}"), cancellationToken);
        }
        finally
        {
            // Raised even when the event cannot be written: the health check must say so either way.
            integrity.Raise(new AuditAlarm(now, AuditIntegrity.ChainBroken, message));
        }
    }
}
