namespace KmsConsole.Rotation.Runs;

/// <summary>
/// One named step of a workflow. The engine first asks whether the step's effect is already there (a
/// crash may have struck after the effect and before the record), and only acts when it is not.
/// </summary>
internal abstract class WorkflowStep
{
    /// <summary>
    /// What the step is, for code: stable across releases and the same for every wording of <see cref="Name"/>
    /// (a roll back finds the alias move by it, the preflight attaches its notes by it). <see cref="StepKey"/> lists them.
    /// </summary>
    public abstract string Key { get; }

    /// <summary>What the user reads; may change wording, so never matched on.</summary>
    public abstract string Name { get; }

    public virtual StepKind Kind => StepKind.Action;

    /// <summary>What the step will do, shown by the preflight.</summary>
    public abstract string Description { get; }

    /// <summary>The step's result when its effect is already in place; null when it still has to act.</summary>
    public virtual Task<StepResult?> FindDoneAsync(StepContext context) => Task.FromResult<StepResult?>(null);

    public abstract Task<StepResult> ExecuteAsync(StepContext context);
}

internal sealed record StepResult(string? Output, string? AwsRequestId = null, string? WaitingReason = null)
{
    public bool IsWaiting => WaitingReason is not null;

    public static StepResult Waiting(string reason) => new(null, null, reason);
}

/// <summary>What a step sees of its run: identity, parameters, the values earlier steps left, the clock.</summary>
internal sealed class StepContext(Run run, TimeProvider time, Func<CancellationToken, Task> checkpoint, CancellationToken cancellationToken)
{
    public Run Run { get; } = run;
    public RotationParameters Parameters => Run.Parameters;
    public TimeProvider Time { get; } = time;
    public CancellationToken CancellationToken { get; } = cancellationToken;

    public string? Get(string name) => Run.Values.TryGetValue(name, out var value) ? value : null;

    public string Require(string name) => Get(name) ?? throw new InvalidOperationException($"Run {Run.Id} has no value '{name}' from an earlier step.");

    public void Set(string name, string value) => Run.Values[name] = value;

    public void Remove(string name) => Run.Values.Remove(name);

    /// <summary>Saves the values now, before a call whose effect must be recognisable after a crash.</summary>
    public Task CheckpointAsync() => checkpoint(CancellationToken);
}

/// <summary>Tells transient failures (retried) from final ones, and how to show an error; the KMS side implements it.</summary>
internal interface IStepErrorPolicy
{
    bool IsTransient(Exception exception);

    (string Code, string Message, string? RequestId) Describe(Exception exception);
}

/// <summary>Points where tests stop an orchestrator as if its process died.</summary>
internal class RunEngineHooks
{
    /// <summary>After the engine read the run and found no cancel request, before it records the step as started.</summary>
    public virtual Task BeforeStepStartsAsync(Run run, int stepIndex) => Task.CompletedTask;

    /// <summary>After a step's effect happened and before it is recorded.</summary>
    public virtual void AfterStepEffect(Run run, int stepIndex) { }

    /// <summary>After a step's outcome is recorded.</summary>
    public virtual void AfterStepRecorded(Run run, int stepIndex) { }

    /// <summary>While a step runs (recorded as Running, lease renewed), before it acts; <paramref name="stepToken"/> is the step's own token.</summary>
    public virtual Task WhileStepRunsAsync(Run run, int stepIndex, CancellationToken stepToken) => Task.CompletedTask;
}
