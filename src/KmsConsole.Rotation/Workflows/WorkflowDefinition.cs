using Amazon.KeyManagementService;
using KmsConsole.Rotation.Approvals;
using KmsConsole.Rotation.Escrow;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Workflows;

/// <summary>
/// Everything a workflow is, in one type: which keys it fits (and why not), the parameters it takes, its steps and
/// gates, the KMS permissions they need, its label and description, whether its runs can be rolled back, and the old
/// key's fates it offers. The catalog (<see cref="WorkflowDefinitions"/>) lists the definitions; nothing else switches
/// over workflows, so a new workflow is one new definition.
/// </summary>
public abstract class WorkflowDefinition
{
    public abstract WorkflowKind Kind { get; }

    /// <summary>The workflow as the user reads it ("New key, alias swap").</summary>
    public abstract string Label { get; }

    /// <summary>One or two sentences on what the workflow does to the key, for the request form.</summary>
    public abstract string Description { get; }

    /// <summary>The parameters the requester chooses; the form asks only these, the preflight checks only these.</summary>
    public virtual WorkflowInputs Inputs => WorkflowInputs.None;

    /// <summary>The old key's fates the requester may choose (empty when the workflow keeps the key it starts from).</summary>
    public virtual IReadOnlyList<OldKeyFate> OldKeyFates => [];

    /// <summary>The workflow moves an alias from one key to another, so the request must name or resolve one alias.</summary>
    public virtual bool MovesAlias => false;

    /// <summary>A run of it that moved its alias can be rolled back (the alias pointed back at the key it started from).</summary>
    public virtual bool CanBeRolledBack => false;

    /// <summary>False for a workflow only ever requested from another run (the roll back), never from a key.</summary>
    public virtual bool RequestedFromKey => true;

    public bool Takes(WorkflowInputs input) => (Inputs & input) == input;

    /// <summary>Why this workflow does not fit the key as the key list last saw it; null when it fits.</summary>
    public abstract string? WhyNotFor(KeySummary key);

    /// <summary>The key of the step whose success means the alias moved (what a roll back undoes); null when none does.</summary>
    internal virtual string? AliasMoveStepKey => null;

    /// <summary>Its steps read the escrow key (imports): the permission check names the escrow key.</summary>
    internal virtual bool UsesEscrowKey => false;

    /// <summary>It starts with its alias on another key than the run's (a roll back): the permission check names that key.</summary>
    internal virtual bool StartsFromAliasKey => false;

    /// <summary>The steps of a run of this workflow, gates included, the same list in the same order each time.</summary>
    internal abstract IEnumerable<WorkflowStep> Steps(WorkflowStepSource source);

    /// <summary>The refusals of the request particular to this workflow (the key's origin, spec and state; parameter bounds).</summary>
    internal virtual Task CheckRequestAsync(RequestCheck check) => Task.CompletedTask;

    /// <summary>What the key looks like now, noted against the steps it concerns (<see cref="RequestCheck.Note"/>).</summary>
    internal virtual Task DescribeStateAsync(RequestCheck check) => Task.CompletedTask;

    /// <summary>The KMS calls of the request and of every step, including those only a resumed or retried step makes.</summary>
    internal abstract void AddPermissions(KmsPermissionList permissions);

    /// <summary>The checks before a failed run resumes; by default the request's own, against the key as it is now.</summary>
    internal virtual Task<ResumePreflight.Outcome> CheckResumeAsync(ResumePreflight resume, Run run, RunStep failed, CancellationToken cancellationToken) =>
        resume.AsRequestedAsync(run, run.KeyId, cancellationToken);

    /// <summary>Changes to other rows when a run of it ends, saved with the run (a roll back marks the run it undid).</summary>
    internal virtual Task OnFinishedAsync(RotationDbContext db, Run run, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What building a run's steps draws on: the run, its target's KMS client, the escrow and the approval policy.</summary>
internal sealed class WorkflowStepSource(Run run, IAmazonKeyManagementService kms, MaterialEscrow escrow, ApprovalPolicy policy)
{
    public Run Run { get; } = run;
    public RotationParameters Parameters => Run.Parameters;
    public IAmazonKeyManagementService Kms { get; } = kms;
    public MaterialEscrow Escrow { get; } = escrow;
    public ApprovalPolicy Policy { get; } = policy;

    /// <summary>The hazard check the alias swaps' fate gate makes; null where no services are at hand (tests of the step lists).</summary>
    public Safety.HazardCheck? Safety { get; init; }

    /// <summary>The target's KMS in another Region (a multi-Region key's replicas).</summary>
    public Func<string, IAmazonKeyManagementService> InRegion { get; init; } =
        region => throw new NotSupportedException($"No KMS client for Region {region} was given to this run's steps.");

    /// <summary>Every workflow starts at this gate.</summary>
    public ApprovalGate FirstGate() => new(Policy, StepKey.Approval, "Approval", "The run starts only once approved.");

    /// <summary>A gate of its own before a destructive step.</summary>
    public ApprovalGate Gate(string key, string name, string description) => new(Policy, key, name, description);
}
