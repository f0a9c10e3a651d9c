using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
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

    /// <summary>Runs read in one page of a pass; a pass reads the next page once a slot frees and the page is used up.</summary>
    private const int PageSize = 20;

    /// <summary>
    /// Runs one pass starts at most. Each run is worked on once a pass, so a run that went back to runnable (a gate approved
    /// meanwhile) waits for the next pass; ending the pass bounds that wait.
    /// </summary>
    private const int PassLimit = 100;

    /// <summary>Runs every run that is runnable now, up to <see cref="OrchestratorOptions.RunConcurrency"/> at once; returns how many it worked on.</summary>
    public async Task<int> ProcessOnceAsync(CancellationToken cancellationToken)
    {
        var worked = 0;
        var failures = new ConcurrentQueue<ExceptionDispatchInfo>();
        await Parallel.ForEachAsync(CandidatesAsync(failures, cancellationToken), new ParallelOptions { MaxDegreeOfParallelism = options.RunConcurrency, CancellationToken = cancellationToken },
            async (runId, token) =>
            {
                // After a failure no further run starts in this pass, as when runs went one by one; runs already in a step finish it.
                if (!failures.IsEmpty)
                {
                    return;
                }

                try
                {
                    if (!await TryClaimAsync(runId, token))
                    {
                        return;
                    }

                    Interlocked.Increment(ref worked);
                    await _engine.RunAsync(runId, token);
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    // Caught here rather than left to cancel the pass's token, which would cut the other runs off inside their KMS calls.
                    failures.Enqueue(ExceptionDispatchInfo.Capture(e));
                }
            });
        if (failures.TryPeek(out var failure))
        {
            failure.Throw();
        }

        return worked;
    }

    /// <summary>
    /// Runnable runs oldest first, read a page at a time as slots free, so runs queued while others run (a campaign's next
    /// keys) start without waiting for the slowest run of the page; none twice in a pass, and none after a failure.
    /// </summary>
    private async IAsyncEnumerable<Guid> CandidatesAsync(ConcurrentQueue<ExceptionDispatchInfo> failures, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var taken = new List<Guid>();
        while (failures.IsEmpty && taken.Count < PassLimit)
        {
            List<Guid> page;
            await using (var db = await store.ReadAsync(cancellationToken))
            {
                var now = store.Time.GetUtcNow();
                page = await db.Runs.AsNoTracking().Runnable(now, options.InstanceId).Where(r => !taken.Contains(r.Id))
                    .OrderBy(r => r.CreatedAt).Select(r => r.Id).Take(Math.Min(PageSize, PassLimit - taken.Count)).ToListAsync(cancellationToken);
            }

            if (page.Count == 0)
            {
                yield break;
            }

            foreach (var runId in page)
            {
                if (!failures.IsEmpty)
                {
                    yield break;
                }

                taken.Add(runId);
                yield return runId;
            }
        }
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
