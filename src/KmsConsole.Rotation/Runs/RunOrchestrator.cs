using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Rotation.Runs;

/// <summary>One orchestrator instance: finds runnable runs, claims each with a lease and runs it.</summary>
internal sealed class RunOrchestrator(
    RotationStore store,
    IWorkflowCatalog catalog,
    IStepErrorPolicy errors,
    RunChangeFeed feed,
    OrchestratorOptions options,
    ILogger<RunOrchestrator> logger,
    RunEngineHooks? hooks = null)
{
    private readonly RunEngine _engine = new(store, catalog, errors, feed, options, options.InstanceId, hooks ?? new RunEngineHooks(), logger);

    public string InstanceId => options.InstanceId;

    /// <summary>Runs every run that is runnable now; returns how many it worked on.</summary>
    public async Task<int> ProcessOnceAsync(CancellationToken cancellationToken)
    {
        List<Guid> candidates;
        await using (var db = await store.ReadAsync(cancellationToken))
        {
            var now = store.Time.GetUtcNow();
            candidates = await db.Runs.AsNoTracking().Runnable(now, options.InstanceId).OrderBy(r => r.CreatedAt).Select(r => r.Id).Take(20).ToListAsync(cancellationToken);
        }

        var worked = 0;
        foreach (var runId in candidates)
        {
            if (!await TryClaimAsync(runId, cancellationToken))
            {
                continue;
            }

            worked++;
            await _engine.RunAsync(runId, cancellationToken);
        }

        return worked;
    }

    public async Task<bool> TryClaimAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await store.ReadAsync(cancellationToken);
        return await RunLeases.TryClaimAsync(db, runId, options.InstanceId, store.Time.GetUtcNow(), options.LeaseDuration, cancellationToken);
    }

    /// <summary>Processes until nothing is runnable (tests and one-shot use).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (await ProcessOnceAsync(cancellationToken) > 0)
        {
        }
    }
}
