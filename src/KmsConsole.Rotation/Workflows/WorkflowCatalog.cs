using Amazon.KeyManagementService;
using KmsConsole.Rotation.Approvals;
using KmsConsole.Rotation.Escrow;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Workflows;

/// <summary>The five workflows and the roll back, each a list of named steps built from the run's parameters.</summary>
internal sealed class WorkflowCatalog(IKmsClientFactory clients, MaterialEscrow escrow, IOptions<RotationOptions> options, KeyInventory inventory)
    : IWorkflowCatalog
{
    /// <summary>The key list shows what the run changed without waiting for the next full sync.</summary>
    public Task AfterFinishedAsync(Run run, CancellationToken cancellationToken) =>
        inventory.RefreshAsync(run.Target, run.NewKeyId is { } newKey ? [run.KeyId, newKey] : [run.KeyId], cancellationToken);

    public IReadOnlyList<WorkflowStep> StepsFor(Run run)
    {
        var kms = clients.Create(run.Target);
        var p = run.Parameters;
        var policy = options.Value.PolicyFor(run.Workflow);
        var firstGate = new ApprovalGate(policy, "Approval", "The run starts only once approved.");
        return run.Workflow switch
        {
            WorkflowKind.EnableAutomaticRotation =>
            [
                firstGate,
                new EnableRotationStep(kms),
                new VerifyRotationStatusStep(kms),
                .. p.RotateNow ? new WorkflowStep[] { new RotateOnDemandStep(kms) } : [],
                new RoundTripStep(kms, StepKeys.RunKey, "Verify an encrypt/decrypt round trip"),
            ],
            WorkflowKind.AliasSwapNewKey =>
            [
                firstGate,
                new EncryptSampleStep(kms),
                new CreateKeyStep(kms, external: false),
                new VerifyNewKeyStep(kms),
                new PointAliasStep(kms, CreateKeyStep.NewKeyValue, "Point the alias at the new key"),
                new VerifyAliasStep(kms, CreateKeyStep.NewKeyValue, checkSample: true),
                .. FateSteps(kms, policy, p),
            ],
            WorkflowKind.AliasSwapImportedKey =>
            [
                firstGate,
                new EncryptSampleStep(kms),
                new CreateKeyStep(kms, external: true),
                new GetImportParametersStep(kms, CreateKeyStep.NewKeyValue),
                new GenerateAndEscrowStep(kms, escrow, CreateKeyStep.NewKeyValue),
                new ImportMaterialStep(kms, escrow, CreateKeyStep.NewKeyValue, ImportType.NEW_KEY_MATERIAL),
                new VerifyNewKeyStep(kms),
                new PointAliasStep(kms, CreateKeyStep.NewKeyValue, "Point the alias at the new key"),
                new VerifyAliasStep(kms, CreateKeyStep.NewKeyValue, checkSample: true),
                .. FateSteps(kms, policy, p),
            ],
            WorkflowKind.NewMaterialInPlace =>
            [
                firstGate,
                new EncryptSampleStep(kms),
                new GetImportParametersStep(kms, StepKeys.RunKey),
                new GenerateAndEscrowStep(kms, escrow, StepKeys.RunKey),
                new ImportMaterialStep(kms, escrow, StepKeys.RunKey, ImportType.NEW_KEY_MATERIAL),
                new RotateOnDemandStep(kms),
                new VerifyImportedKeyStep(kms, StepKeys.RunKey, checkSample: true),
            ],
            WorkflowKind.ReimportBeforeExpiry =>
            [
                firstGate,
                new FindEscrowedMaterialStep(kms, escrow),
                new GetImportParametersStep(kms, StepKeys.RunKey),
                new ImportMaterialStep(kms, escrow, StepKeys.RunKey, ImportType.EXISTING_KEY_MATERIAL),
                new VerifyImportedKeyStep(kms, StepKeys.RunKey, checkSample: false),
            ],
            WorkflowKind.RollBack =>
            [
                firstGate,
                new PreviousKeyUsableStep(kms),
                new PointAliasStep(kms, StepKeys.RunKey, "Point the alias back at the previous key"),
                new VerifyAliasStep(kms, StepKeys.RunKey, checkSample: false),
            ],
            _ => throw new ArgumentOutOfRangeException(nameof(run), run.Workflow, "Unknown workflow"),
        };
    }

    /// <summary>Destructive fates sit behind a gate of their own; keeping the old key needs none.</summary>
    private static WorkflowStep[] FateSteps(IAmazonKeyManagementService kms, ApprovalPolicy policy, RotationParameters p) =>
        p.OldKeyFate == OldKeyFate.Keep
            ? []
            : [
                new ApprovalGate(policy, "Approval of the old key's fate", $"The old key's fate ({p.OldKeyFate}) is destructive and approved separately."),
                new OldKeyFateStep(kms, p.OldKeyFate, p.PendingWindowInDays),
            ];

    public async Task OnFinishedAsync(RotationDbContext db, Run run, CancellationToken cancellationToken)
    {
        if (run.Workflow == WorkflowKind.RollBack && run.State == RunState.Succeeded && run.Parameters.RollBackOf is { } original)
        {
            var undone = await db.Runs.SingleOrDefaultAsync(r => r.Id == original, cancellationToken);
            if (undone is not null)
            {
                undone.State = RunState.RolledBack;
                undone.Version = Guid.NewGuid();
            }
        }
    }
}
