using Amazon.KeyManagementService;

namespace KmsConsole.Rotation.Workflows;

/// <summary>
/// The catalog of workflows: the built-in definitions and any registered beside them (a <see cref="WorkflowDefinition"/>
/// added to the services). Pages, preflight, permissions and the engine all read workflows from here.
/// </summary>
public sealed class WorkflowDefinitions
{
    private static readonly WorkflowDefinition[] BuiltInDefinitions =
    [
        new EnableAutomaticRotationWorkflow(),
        new AliasSwapNewKeyWorkflow(),
        new AliasSwapImportedKeyWorkflow(),
        new NewMaterialInPlaceWorkflow(),
        new ReimportBeforeExpiryWorkflow(),
        new RollBackWorkflow(),
    ];

    /// <summary>The console's own workflows, for code that has no services at hand (the IAM policy tools, tests of the form).</summary>
    public static WorkflowDefinitions BuiltIn { get; } = new([]);

    public WorkflowDefinitions(IEnumerable<WorkflowDefinition> added)
    {
        var all = BuiltInDefinitions.Concat(added).ToList();
        var twice = all.GroupBy(d => d.Kind).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new ArgumentException($"Two workflow definitions are registered for {twice.Key}.", nameof(added));
        }

        All = all;
    }

    public IReadOnlyList<WorkflowDefinition> All { get; }

    /// <summary>The definitions a requester may ask for from a key (not the roll back, which is asked from its run).</summary>
    public IEnumerable<WorkflowDefinition> Requestable => All.Where(d => d.RequestedFromKey);

    public WorkflowDefinition? Find(WorkflowKind kind) => All.FirstOrDefault(d => d.Kind == kind);

    /// <summary>The definition of <paramref name="kind"/>; refuses a workflow the console does not know.</summary>
    public WorkflowDefinition this[WorkflowKind kind] => Find(kind)
        ?? throw new RotationRefusedException($"Workflow {kind} is not known to this console.", kind: RefusalKind.Invalid) { Field = "Workflow" };

    /// <summary>The workflow as the user reads it; its name when no definition knows it.</summary>
    public string LabelOf(WorkflowKind kind) => Find(kind)?.Label ?? kind.ToString();

    /// <summary>The workflows that fit the key as the key list last saw it, in the catalog's order.</summary>
    public IReadOnlyList<WorkflowDefinition> Fitting(KeySummary key) =>
        WhyNoneFits(key) is not null ? [] : Requestable.Where(d => d.WhyNotFor(key) is null).ToList();

    /// <summary>Why no workflow fits the key (it is on its way out, unreadable or not found); null when some may.</summary>
    public static string? WhyNoneFits(KeySummary key) =>
        key.KeyState == KeyState.PendingDeletion.Value || key.KeyState == KeyState.PendingReplicaDeletion.Value
        || key.KeyState == KeyState.Unavailable.Value || key.KeyState == KeyState.Creating.Value || key.KeyState == Preflight.NotFoundState
            ? $"the key is {key.KeyState}"
            : null;
}
