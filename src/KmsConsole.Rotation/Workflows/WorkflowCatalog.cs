using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Escrow;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Workflows;

/// <summary>The engine's view of the workflow definitions: a run's steps, built from its parameters, and what its end changes.</summary>
internal sealed class WorkflowCatalog(WorkflowDefinitions definitions, IKmsClientFactory clients, MaterialEscrow escrow, IOptions<RotationOptions> options,
    KeyInventory inventory, IChangeFeed changes, Safety.HazardCheck safety) : IWorkflowCatalog
{
    /// <summary>The key list shows what the run changed without waiting for the next full sync.</summary>
    public async Task AfterFinishedAsync(Run run, CancellationToken cancellationToken)
    {
        await inventory.RefreshAsync(run.Target, run.NewKeyId is { } newKey ? [run.KeyId, newKey] : [run.KeyId], cancellationToken);
        changes.Publish(new ConsoleChange(ChangeKind.Inventory));
    }

    public IReadOnlyList<WorkflowStep> StepsFor(Run run) =>
        definitions[run.Workflow].Steps(new WorkflowStepSource(run, clients.Create(run.Target), escrow, options.Value.PolicyFor(run.Workflow)) 
        {
            Safety = safety,
            InRegion = region => clients.CreateInRegion(run.Target, region),
        }).ToList();

    public Task OnFinishedAsync(RotationDbContext db, Run run, CancellationToken cancellationToken) =>
        definitions[run.Workflow].OnFinishedAsync(db, run, cancellationToken);
}
