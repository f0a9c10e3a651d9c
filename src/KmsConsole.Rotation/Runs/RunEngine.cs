using System.Diagnostics;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Telemetry;
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

            if (run.CancelRequestedAt is not null)
            {
                await CancelBeforeStepAsync(run, cancellationToken);
                return;
            }

            var steps = catalog.StepsFor(run);
            var index = run.CurrentStepIndex;
            var step = steps[index];
            var record = run.Steps[index];
            // Every log line of the step names its run and requester; the span (when traced) holds its KMS calls.
            using var scope = logger.BeginScope(new Dictionary<string, object?> { ["RunId"] = run.Id, ["RequestedBy"] = run.RequestedBy });
            using var span = RotationTelemetry.Source.StartActivity($"run step {step.Key}");
            span?.SetTag(RotationTelemetry.RunIdTag, run.Id.ToString());
            span?.SetTag(RotationTelemetry.WorkflowTag, run.Workflow.ToString());
            span?.SetTag(RotationTelemetry.StepTag, step.Key);
            var stepStarted = Stopwatch.GetTimestamp();
            await hooks.BeforeStepStartsAsync(run, index);

            run.StartStep(index, Time.GetUtcNow());
            var started = await SaveRunAsync(run, null, cancellationToken, unlessCancelRequested: true);
            if (started == Saved.CancelRequested)
            {
                // Cancelled between steps: the next pass reads the request and ends the run before this step starts.
                continue;
            }

            if (started != Saved.Yes)
            {
                return;
            }

            StepResult result;
            using var callRetries = CallRetries.Observe();
            var heartbeat = LeaseHeartbeat.Start(store, run.Id, owner, run.LeaseUntil!.Value, options.LeaseDuration, logger, cancellationToken);
            try
            {
                await hooks.WhileStepRunsAsync(run, index, heartbeat.Token);
                result = await ExecuteWithRetriesAsync(run, step, record, heartbeat.Token);
            }
            catch (Exception) when (heartbeat.LeaseLost)
            {
                // Another instance may be in this step now: whatever this one did or failed is not its to record.
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OperationCanceledException && e is not SimulatedCrashException)
            {
                await heartbeat.DisposeAsync();
                var (code, message, requestId) = errors.Describe(e);
                StepEnded(run, step, span, stepStarted, code);
                logger.LogWarning("Run {RunId} step {Step} failed: {Code}: {Message}", run.Id, record.Name, code, message);
                var error = run.StepFailed(index, code, message, requestId, Time.GetUtcNow());
                await FinishAsync(run, RunState.Failed, error, cancellationToken, requestId);
                return;
            }
            finally
            {
                await heartbeat.DisposeAsync();
            }

            if (heartbeat.LeaseLost)
            {
                return;
            }

            hooks.AfterStepEffect(run, index);

            StepEnded(run, step, span, stepStarted, result.IsWaiting ? "waiting" : null);
            if (result.IsWaiting)
            {
                run.WaitAtGate(index, result.WaitingReason!);
                RotationTelemetry.RunEntered(run, run.State);
                var waiting = await SaveRunAsync(run, audit => audit.AppendAsync("orchestrator", "run.awaiting-approval", Subject(run),
                    $"{record.Name}: {result.WaitingReason}", null, run.Id), cancellationToken, unlessCancelRequested: true);
                if (waiting == Saved.CancelRequested)
                {
                    // Cancelled while it reached the gate: the next pass reads the request and ends the run before the gate.
                    continue;
                }

                return;
            }

            var output = callRetries.Describe() is { } retried ? (result.Output is { Length: > 0 } said ? $"{said} ({retried})" : retried) : result.Output;
            run.StepSucceeded(index, output, result.AwsRequestId, Time.GetUtcNow());
            if (await SaveRunAsync(run, audit => audit.AppendAsync("orchestrator", "step.succeeded", Subject(run),
                    $"{record.Name}: {result.Output}", result.AwsRequestId, run.Id), cancellationToken) != Saved.Yes)
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
                run.StepRetrying(record.Index, code, message, requestId);
                if (await SaveRunAsync(run, null, cancellationToken) != Saved.Yes)
                {
                    throw new OperationCanceledException("The run changed under the orchestrator (its lease was lost).");
                }

                await Task.Delay(delay, Time, cancellationToken);
            }
        }
    }

    private async Task SaveValuesAsync(Run run, CancellationToken cancellationToken)
    {
        if (await SaveRunAsync(run, null, cancellationToken) != Saved.Yes)
        {
            throw new OperationCanceledException("The run changed under the orchestrator (cancelled, or its lease was lost).");
        }
    }

    /// <summary>
    /// Ends a run whose cancel was requested while a step ran, at the boundary before its next step: what is done stays
    /// done (and is named), nothing further runs, and the key and alias locks are let go.
    /// </summary>
    private async Task CancelBeforeStepAsync(Run run, CancellationToken cancellationToken)
    {
        var next = run.Steps[run.CurrentStepIndex];
        // A gate left Running was being reached when the cancel came; an action left Running was cut off by a crash.
        var interrupted = next.State == StepState.Running && next.Kind == StepKind.Action;
        var done = run.Steps
            .Where(s => s.Index < run.CurrentStepIndex && s.Kind == StepKind.Action && s.State == StepState.Succeeded)
            .Select(s => s.Output is { Length: > 0 } output ? $"{s.Name} ({output})" : s.Name)
            .ToList();
        var message = $"Cancelled by {run.CancelRequestedByName} before step {next.Index + 1} \"{next.Name}\": {run.CancelReason}. "
            + (done.Count == 0 ? (interrupted ? "No step was recorded as done." : "No step had changed anything yet.") : $"Already done, and kept: {string.Join("; ", done)}.")
            + (run.NewKeyId is { } newKey ? $" The new key {newKey} this run created stays; it is not deleted." : string.Empty)
            + (interrupted
                ? $" \"{next.Name}\" had been started by an orchestrator that stopped before recording its outcome; it was not run again, " +
                  $"and whether it took effect in KMS was not checked: look at the key and alias before acting (a key this run created carries the tag {KmsConsole.Rotation.Workflows.KmsKeys.RunIdTag} = {run.Id})."
                : string.Empty);

        run.SkipRemainingSteps(clearFinishTimes: true);
        await FinishAsync(run, RunState.Cancelled, message, cancellationToken);
    }

    /// <summary>The step's duration by workflow, step and outcome ("succeeded", "waiting", or the error code).</summary>
    private static void StepEnded(Run run, WorkflowStep step, Activity? span, long started, string? failure)
    {
        var outcome = failure ?? "succeeded";
        span?.SetTag(RotationTelemetry.OutcomeTag, outcome);
        if (failure is not null and not "waiting")
        {
            span?.SetStatus(ActivityStatusCode.Error, failure);
        }

        RotationTelemetry.StepDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>(RotationTelemetry.WorkflowTag, run.Workflow.ToString()),
            new KeyValuePair<string, object?>(RotationTelemetry.StepTag, step.Key),
            new KeyValuePair<string, object?>(RotationTelemetry.OutcomeTag, outcome));
    }

    private async Task FinishAsync(Run run, RunState state, string? error, CancellationToken cancellationToken, string? requestId = null)
    {
        run.End(state, error, Time.GetUtcNow());
        RotationTelemetry.RunEntered(run, state);
        var action = state switch
        {
            RunState.Succeeded => "run.succeeded",
            RunState.Cancelled => "run.cancelled",
            _ => "run.failed",
        };
        if (await SaveRunAsync(run, async audit =>
            {
                await audit.AppendAsync("orchestrator", action, Subject(run), error ?? $"{run.Workflow} finished", requestId, run.Id);
            }, cancellationToken, afterSave: db => catalog.OnFinishedAsync(db, run, cancellationToken)) != Saved.Yes)
        {
            return;
        }

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

    private enum Saved
    {
        Yes,

        /// <summary>Someone else changed the run, or this instance no longer holds its lease; it stops working on it.</summary>
        Lost,

        /// <summary>Not saved because a cancel was requested meanwhile (only for saves that ask so).</summary>
        CancelRequested,
    }

    private sealed class NotSavedException(Saved why) : Exception
    {
        public Saved Why { get; } = why;
    }

    /// <summary>
    /// Saves the run if nobody changed it meanwhile (concurrency token) and this instance still holds its lease; with
    /// <paramref name="unlessCancelRequested"/>, also only while no cancel has been requested. A save of a run this
    /// instance still holds renews its lease. The cancel request is never written here: a user records it while a step
    /// runs, without changing the version, and this save must neither fail on it nor overwrite it.
    /// </summary>
    private async Task<Saved> SaveRunAsync(Run run, Func<AuditWriter, Task>? audit, CancellationToken cancellationToken,
        Func<RotationDbContext, Task>? afterSave = null, bool unlessCancelRequested = false)
    {
        var expectedVersion = run.Version;
        var previousLease = run.LeaseUntil;
        if (run.LeaseOwner == owner)
        {
            var renewed = Time.GetUtcNow() + options.LeaseDuration;
            run.LeaseUntil = run.LeaseUntil > renewed ? run.LeaseUntil : renewed;
        }

        run.Version = Guid.NewGuid();
        try
        {
            await store.WriteAsync(async (db, writer) =>
            {
                // Checks (and, on PostgreSQL, locks) the row before writing it: still ours, unchanged, and no cancel pending if asked.
                var held = await db.Runs
                    .Where(r => r.Id == run.Id && r.Version == expectedVersion && r.LeaseOwner == owner
                                && (!unlessCancelRequested || r.CancelRequestedAt == null))
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, owner), cancellationToken);
                if (held == 0)
                {
                    var cancelPending = unlessCancelRequested && await db.Runs.AnyAsync(
                        r => r.Id == run.Id && r.Version == expectedVersion && r.LeaseOwner == owner && r.CancelRequestedAt != null, cancellationToken);
                    throw new NotSavedException(cancelPending ? Saved.CancelRequested : Saved.Lost);
                }

                db.Attach(run);
                var entry = db.Entry(run);
                entry.Property(r => r.Version).OriginalValue = expectedVersion;
                entry.State = EntityState.Modified;
                entry.Property(r => r.CancelRequestedBy).IsModified = false;
                entry.Property(r => r.CancelRequestedByName).IsModified = false;
                entry.Property(r => r.CancelRequestedAt).IsModified = false;
                entry.Property(r => r.CancelReason).IsModified = false;
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
        catch (Exception e) when (e is DbUpdateConcurrencyException or NotSavedException)
        {
            run.Version = expectedVersion;
            run.LeaseUntil = previousLease;
            var why = e is NotSavedException notSaved ? notSaved.Why : Saved.Lost;
            if (why == Saved.Lost)
            {
                logger.LogInformation("Run {RunId} changed under orchestrator {Owner}, or its lease was lost; it stops working on it.", run.Id, owner);
            }

            return why;
        }

        feed.Publish(run.Id);
        return Saved.Yes;
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
