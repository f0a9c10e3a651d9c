using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using Microsoft.EntityFrameworkCore;

namespace KmsConsole.Rotation.Workflows;

/// <summary>
/// The preflight again, before a failed run resumes, against the key as it is now. Until the run's effect is in
/// place (the alias still on the old key, the escrowed material not yet re-imported) the run is judged as its request
/// was, by <see cref="Preflight"/>, permissions included. After it, the request's checks no longer describe the key
/// (the alias resolves to the new key, the expiry already moved), so what the remaining steps need is checked instead:
/// the executing principal's permissions for the workflow, and the keys those steps act on. Which of these checks a
/// workflow gets is its definition's choice (<see cref="WorkflowDefinition.CheckResumeAsync"/>).
/// </summary>
internal sealed class ResumePreflight(Preflight preflight, IWorkflowCatalog catalog, WorkflowDefinitions definitions, IKmsClientFactory clients, RotationStore store,
    Iam.RunPermissionCheck permissions)
{
    /// <param name="Permissions">The permission check made now; null when the target does not check permissions.</param>
    public sealed record Outcome(IReadOnlyList<string> Refusals, Iam.PermissionReport? Permissions);

    public Task<Outcome> RunAsync(Run run, RunStep failed, CancellationToken cancellationToken) =>
        definitions[run.Workflow].CheckResumeAsync(this, run, failed, cancellationToken);

    /// <summary>
    /// An alias swap is judged as requested while its alias is still on the old key, by what its remaining steps need
    /// once the alias is on the key it created, and refused when the alias moved elsewhere.
    /// </summary>
    internal async Task<Outcome> AliasSwapAsync(Run run, RunStep failed, CancellationToken cancellationToken)
    {
        var kms = clients.Create(run.Target);
        var alias = run.AliasName!;
        var pointsAt = await ResolveAsync(kms, alias, cancellationToken);
        if (pointsAt is null)
        {
            return Refused($"{alias} no longer exists on target '{run.Target}'; request a new run.");
        }

        if (pointsAt == run.KeyId)
        {
            return await AsRequestedAsync(run, alias, cancellationToken);
        }

        if (pointsAt == run.NewKeyId)
        {
            return await AfterEffectAsync(run, failed, cancellationToken);
        }

        return Refused($"{alias} now points at {pointsAt}, neither the key run {run.Id} started from ({run.KeyId}) nor the key it created " +
            $"({run.NewKeyId ?? "none yet"}); it was changed outside this run. Request a new run.");
    }

    /// <summary>The step with key <paramref name="stepKey"/> succeeded before the failed step.</summary>
    internal bool SucceededBefore(Run run, RunStep failed, string stepKey) =>
        catalog.StepsFor(run).Select((s, i) => (s, i))
            .Any(x => x.s.Key == stepKey && x.i < failed.Index && run.Steps.Single(r => r.Index == x.i).State == StepState.Succeeded);

    internal async Task<Outcome> AsRequestedAsync(Run run, string keyIdOrAlias, CancellationToken cancellationToken)
    {
        var outcome = await preflight.RunAsync(new RotationRequest(run.Target, keyIdOrAlias, run.Workflow, run.Parameters, run.Justification), cancellationToken);
        var refusals = outcome.Plan.Refusals.ToList();
        if (outcome.Plan.Key is { KeyState: not Preflight.NotFoundState, KeyId: var keyId } && keyId != run.KeyId)
        {
            refusals.Add($"{keyIdOrAlias} now resolves to {keyId}, not to {run.KeyId} that run {run.Id} works on; request a new run.");
        }

        return new Outcome(refusals, outcome.Plan.Permissions?.Report);
    }

    internal async Task<Outcome> AfterEffectAsync(Run run, RunStep failed, CancellationToken cancellationToken)
    {
        var kms = clients.Create(run.Target);
        var definition = definitions[run.Workflow];
        var refusals = new List<string>();
        var old = await KmsKeys.FindAsync(kms, run.KeyId, cancellationToken);
        if (old is null)
        {
            return Refused($"The key {run.KeyId} that run {run.Id} works on no longer exists on target '{run.Target}'.");
        }

        // Scheduling the deletion is the one remaining step that may find the old key pending deletion (its own effect).
        var schedulingDeletion = run.Parameters.OldKeyFate == OldKeyFate.ScheduleDeletion && catalog.StepsFor(run)[failed.Index].Key == StepKey.OldKeyFate;
        if (old.KeyState == KeyState.PendingDeletion && !schedulingDeletion)
        {
            refusals.Add($"{run.KeyId} is pending deletion; cancel the deletion first (CancelKeyDeletion).");
        }

        var resources = await preflight.ResourcesAsync(kms, old.Arn, run.AliasName, definition, cancellationToken);
        var outcome = await permissions.CheckAsync(run.Target, definition, resources, run.Parameters, cancellationToken);
        if (outcome.Refusal is { } missing)
        {
            refusals.Add(missing);
        }

        return new Outcome(refusals, outcome.Report);
    }

    /// <summary>A roll back resumes while its alias still points at the key it undoes (or already back) and the previous key is usable.</summary>
    internal async Task<Outcome> RollBackAsync(Run run, CancellationToken cancellationToken)
    {
        var kms = clients.Create(run.Target);
        var definition = definitions[run.Workflow];
        var refusals = new List<string>();
        var alias = run.AliasName!;
        string? undoneKey;
        await using (var db = await store.ReadAsync(cancellationToken))
        {
            undoneKey = await db.Runs.AsNoTracking().Where(r => r.Id == run.Parameters.RollBackOf).Select(r => r.NewKeyId).FirstOrDefaultAsync(cancellationToken);
        }

        var pointsAt = await ResolveAsync(kms, alias, cancellationToken);
        if (pointsAt is null)
        {
            return Refused($"{alias} no longer exists on target '{run.Target}'; there is nothing to roll back.");
        }

        if (pointsAt != run.KeyId && pointsAt != undoneKey)
        {
            refusals.Add($"{alias} now points at {pointsAt}, not at the key run {run.Parameters.RollBackOf} created; it changed since.");
        }

        var previous = await KmsKeys.FindAsync(kms, run.KeyId, cancellationToken);
        if (previous is null)
        {
            return Refused($"The previous key {run.KeyId} no longer exists on target '{run.Target}'.");
        }

        if (previous.KeyState != KeyState.Enabled)
        {
            refusals.Add($"The previous key {run.KeyId} is {previous.KeyState}; {alias} can only go back to a usable (Enabled) key.");
        }

        var resources = await preflight.ResourcesAsync(kms, previous.Arn, alias, definition, cancellationToken);
        var outcome = await permissions.CheckAsync(run.Target, definition, resources, run.Parameters, cancellationToken);
        if (outcome.Refusal is { } missing)
        {
            refusals.Add(missing);
        }

        return new Outcome(refusals, outcome.Report);
    }

    private static async Task<string?> ResolveAsync(IAmazonKeyManagementService kms, string alias, CancellationToken cancellationToken) =>
        (await KmsKeys.FindAsync(kms, alias, cancellationToken))?.KeyId;

    private static Outcome Refused(string reason) => new([reason], null);
}
