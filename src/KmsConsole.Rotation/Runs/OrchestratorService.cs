using System.Data.Common;
using KmsConsole.Rotation.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Runs;

/// <summary>
/// The hosted orchestrator: polls for runnable runs, claims them with a lease and runs them. When the host stops
/// (SIGTERM), the current step's KMS call is cancelled through the stopping token, and the leases this instance holds
/// are handed back, so another instance continues its run at once.
/// </summary>
internal sealed class OrchestratorService(
    RotationStore store,
    IWorkflowCatalog catalog,
    IStepErrorPolicy errors,
    RunChangeFeed feed,
    IOptions<RotationOptions> options,
    ILoggerFactory loggers,
    RunEngineHooks hooks,
    OrchestratorLiveness liveness) : BackgroundService
{
    /// <summary>How long handing back the leases may take at stop, within the host's shutdown timeout.</summary>
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(3);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!options.Value.Orchestrator.Enabled)
        {
            return;
        }

        var logger = loggers.CreateLogger<RunOrchestrator>();
        using var bound = new CancellationTokenSource(ReleaseTimeout);
        try
        {
            await using var db = await store.ReadAsync(bound.Token);
            var released = await RunLeases.ReleaseAllAsync(db, options.Value.Orchestrator.InstanceId, bound.Token);
            logger.LogInformation("Orchestrator {Instance} stopped and handed back {Count} lease(s)", options.Value.Orchestrator.InstanceId, released);
        }
        catch (Exception e) when (e is OperationCanceledException or DbException or InvalidOperationException)
        {
            // The leases then run out on their own and other instances take the runs after LeaseDuration.
            logger.LogWarning("Orchestrator {Instance} could not hand back its leases at stop: {Error}", options.Value.Orchestrator.InstanceId, e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        liveness.Started();
        try
        {
            await LoopAsync(stoppingToken);
        }
        finally
        {
            liveness.Stopped();
        }
    }

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var logger = loggers.CreateLogger<RunOrchestrator>();
        var orchestrator = new RunOrchestrator(store, catalog, errors, feed, options.Value.Orchestrator, logger, hooks);
        logger.LogInformation("Orchestrator {Instance} started", orchestrator.InstanceId);
        while (!stoppingToken.IsCancellationRequested)
        {
            liveness.PassStarted();
            try
            {
                if (await orchestrator.ProcessOnceAsync(stoppingToken) > 0)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A database or network hiccup must not stop the orchestrator; the lease lets the run resume.
                logger.LogError(e, "Orchestrator pass failed; retrying after the poll interval");
            }
            finally
            {
                liveness.PassEnded();
            }

            try
            {
                await Task.Delay(options.Value.Orchestrator.PollInterval, store.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
