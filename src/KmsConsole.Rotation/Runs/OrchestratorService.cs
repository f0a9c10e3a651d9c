using KmsConsole.Rotation.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Runs;

/// <summary>The hosted orchestrator: polls for runnable runs, claims them with a lease and runs them.</summary>
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
