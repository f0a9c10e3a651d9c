using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Rotation.Runs;

/// <summary>
/// Runs the steps of one claimed run in order and records every transition. It knows nothing about KMS:
/// steps come from <see cref="IWorkflowCatalog"/> and errors are classified by <see cref="IStepErrorPolicy"/>.
/// </summary>
internal sealed class RunEngine(
    RotationStore store,
    IWorkflowCatalog catalog,
    IStepErrorPolicy errors,
    RunChangeFeed feed,
    OrchestratorOptions options,
    string owner,
    RunEngineHooks hooks,
    ILogger logger)
{
    private TimeProvider Time => store.Time;

    public async Task RunAsync(Guid runId, CancellationToken cancellationToken)
    {
        while (true)
        {
            await using var db = await store.ReadAsync(cancellationToken);
            var run = await db.Runs.AsNoTracking().Include(r => r.Steps).Include(r => r.Approvals).AsSplitQuery()
                .FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
            if (run is null || run.LeaseOwner != owner || run.State is not (RunState.Queued or RunState.Running))
            {
                return;
            }

            run.Steps.Sort((a, b) => a.Index.CompareTo(b.Index));
            if (run.CurrentStepIndex >= run.Steps.Count)
            {
                await FinishAsync(run, RunState.Succeeded, null, cancellationToken);
                return;
            }

            var steps = catalog.StepsFor(run);
            var index = run.CurrentStepIndex;
            var step = steps[index];
            var record = run.Steps[index];

            var now = Time.GetUtcNow();
            run.State = RunState.Running;
            run.StartedAt ??= now;
            run.LeaseUntil = now + options.LeaseDuration;
            record.State = StepState.Running;
            record.StartedAt ??= now;
            record.FinishedAt = null;
            record.ErrorCode = null;
            record.ErrorMessage = null;
            if (!await SaveRunAsync(run, null, cancellationToken))
            {
                return;
            }

            StepResult result;
            try
            {
                result = await ExecuteWithRetriesAsync(run, step, record, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OperationCanceledException && e is not SimulatedCrashException)
            {
                var (code, message, requestId) = errors.Describe(e);
                logger.LogWarning("Run {RunId} step {Step} failed: {Code}: {Message}", run.Id, record.Name, code, message);
                record.State = StepState.Failed;
                record.FinishedAt = Time.GetUtcNow();
                record.ErrorCode = code;
                record.ErrorMessage = message;
                record.AwsRequestId = requestId ?? record.AwsRequestId;
                await FinishAsync(run, RunState.Failed, $"{record.Name} failed: {code}: {message}", cancellationToken, requestId);
                return;
            }

            hooks.AfterStepEffect(run, index);

            if (result.IsWaiting)
            {
                record.State = StepState.AwaitingApproval;
                record.Output = result.WaitingReason;
                run.State = RunState.AwaitingApproval;
                run.LeaseOwner = null;
                run.LeaseUntil = null;
                await SaveRunAsync(run, audit => audit.AppendAsync("orchestrator", "run.awaiting-approval", Subject(run),
                    $"{record.Name}: {result.WaitingReason}", null, run.Id), cancellationToken);
                return;
            }

            record.State = StepState.Succeeded;
            record.FinishedAt = Time.GetUtcNow();
            record.Output = result.Output;
            record.AwsRequestId = result.AwsRequestId ?? record.AwsRequestId;
            run.CurrentStepIndex = index + 1;
            if (!await SaveRunAsync(run, audit => audit.AppendAsync("orchestrator", "step.succeeded", Subject(run),
                    $"{record.Name}: {result.Output}", result.AwsRequestId, run.Id), cancellationToken))
            {
                return;
            }

            logger.LogInformation("Run {RunId} step {Index} {Step} succeeded: {Output} (request {RequestId})", run.Id, index, record.Name, result.Output, result.AwsRequestId);
            hooks.AfterStepRecorded(run, index);
        }
    }

    private async Task<StepResult> ExecuteWithRetriesAsync(Run run, WorkflowStep step, RunStep record, CancellationToken cancellationToken)
    {
        var context = new StepContext(run, Time, ct => SaveValuesAsync(run, ct), cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            record.Attempts++;
            try
            {
                return await step.FindDoneAsync(context) ?? await step.ExecuteAsync(context);
            }
            catch (Exception e) when (attempt < options.MaxAttempts && !cancellationToken.IsCancellationRequested && errors.IsTransient(e))
            {
                var (code, message, requestId) = errors.Describe(e);
                var delay = options.Backoff(attempt);
                logger.LogInformation("Run {RunId} step {Step} attempt {Attempt} hit {Code}; retrying in {Delay}", run.Id, record.Name, attempt, code, delay);
                record.ErrorCode = code;
                record.ErrorMessage = message;
                record.AwsRequestId = requestId ?? record.AwsRequestId;
                run.LeaseUntil = Time.GetUtcNow() + options.LeaseDuration + delay;
                await SaveRunAsync(run, null, cancellationToken);
                await Task.Delay(delay, Time, cancellationToken);
            }
        }
    }

    private async Task SaveValuesAsync(Run run, CancellationToken cancellationToken)
    {
        run.LeaseUntil = Time.GetUtcNow() + options.LeaseDuration;
        if (!await SaveRunAsync(run, null, cancellationToken))
        {
            throw new OperationCanceledException("The run changed under the orchestrator (cancelled, or its lease was lost).");
        }
    }

    private async Task FinishAsync(Run run, RunState state, string? error, CancellationToken cancellationToken, string? requestId = null)
    {
        run.End(state, error, Time.GetUtcNow());
        await SaveRunAsync(run, async audit =>
        {
            await audit.AppendAsync("orchestrator", state == RunState.Succeeded ? "run.succeeded" : "run.failed", Subject(run),
                error ?? $"{run.Workflow} finished", requestId, run.Id);
        }, cancellationToken, afterSave: db => catalog.OnFinishedAsync(db, run, cancellationToken));

        try
        {
            await catalog.AfterFinishedAsync(run, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Only a cache refresh; the next inventory sync catches up.
            logger.LogWarning("Run {RunId} finished but refreshing its keys in the inventory failed: {Message}", run.Id, e.Message);
        }
    }

    /// <summary>
    /// Saves the run if nobody changed it meanwhile (concurrency token) and this instance still holds it;
    /// false when a user cancelled it or another instance took it over.
    /// </summary>
    private async Task<bool> SaveRunAsync(Run run, Func<AuditWriter, Task>? audit, CancellationToken cancellationToken,
        Func<RotationDbContext, Task>? afterSave = null)
    {
        var expectedVersion = run.Version;
        run.Version = Guid.NewGuid();
        try
        {
            await store.WriteAsync(async (db, writer) =>
            {
                db.Attach(run);
                db.Entry(run).Property(r => r.Version).OriginalValue = expectedVersion;
                db.Entry(run).State = EntityState.Modified;
                foreach (var step in run.Steps)
                {
                    db.Entry(step).State = EntityState.Modified;
                }

                foreach (var approval in run.Approvals)
                {
                    db.Entry(approval).State = EntityState.Unchanged;
                }

                if (audit is not null)
                {
                    await audit(writer);
                }

                if (afterSave is not null)
                {
                    await afterSave(db);
                }
            }, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            logger.LogInformation("Run {RunId} changed under orchestrator {Owner}; it stops working on it.", run.Id, owner);
            return false;
        }

        feed.Publish(run.Id);
        return true;
    }

    internal static string Subject(Run run) => run.AliasName is { Length: > 0 } alias ? $"{run.Target}:{alias}" : $"{run.Target}:{run.KeyId}";
}

/// <summary>Thrown by test hooks to stop an orchestrator mid-run as a crash would.</summary>
internal sealed class SimulatedCrashException(string message) : Exception(message);

/// <summary>Maps a run to its workflow's steps (the same list, in the same order, each time).</summary>
internal interface IWorkflowCatalog
{
    IReadOnlyList<WorkflowStep> StepsFor(Run run);

    /// <summary>Side effects of a finished run on other rows (a roll back marks the run it undid).</summary>
    Task OnFinishedAsync(RotationDbContext db, Run run, CancellationToken cancellationToken);

    /// <summary>After the finished run is saved (e.g. refresh cached views of what it changed).</summary>
    Task AfterFinishedAsync(Run run, CancellationToken cancellationToken);
}
