using Amazon.KeyManagementService;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Workflows;

/// <summary>Workflow 5: re-import the same escrowed material with a later ValidTo, so the key never falls into PendingImport.</summary>
internal sealed class ReimportBeforeExpiryWorkflow : WorkflowDefinition
{
    public override WorkflowKind Kind => WorkflowKind.ReimportBeforeExpiry;
    public override string Label => "Re-import before expiry";
    public override string Description =>
        "Re-imports the same escrowed key material with a later expiry, so the imported key never becomes unusable; nothing else changes.";
    public override WorkflowInputs Inputs => WorkflowInputs.MaterialExpiry;
    internal override bool UsesEscrowKey => true;

    public override string? WhyNotFor(KeySummary key) =>
        key.Origin != OriginType.EXTERNAL.Value || key.KeySpec != KeySpec.SYMMETRIC_DEFAULT.Value
            ? "only symmetric keys with imported material (EXTERNAL) can have material re-imported"
            : null;

    internal override IEnumerable<WorkflowStep> Steps(WorkflowStepSource source) =>
    [
        source.FirstGate(),
        new FindEscrowedMaterialStep(source.Kms, source.Escrow),
        new GetImportParametersStep(source.Kms, RunValues.RunKey),
        new ImportMaterialStep(source.Kms, source.Escrow, RunValues.RunKey, ImportType.EXISTING_KEY_MATERIAL),
        new VerifyImportedKeyStep(source.Kms, RunValues.RunKey, checkSample: false),
    ];

    internal override async Task CheckRequestAsync(RequestCheck check)
    {
        var m = check.Metadata;
        var p = check.Parameters;
        if (!check.IsExternal || !check.IsSymmetric)
        {
            check.Refuse($"{check.Name} has origin {m.Origin}; only symmetric keys with imported material (EXTERNAL) can have material re-imported.");
        }

        if (m.KeyState != KeyState.Enabled && m.KeyState != KeyState.PendingImport)
        {
            check.Refuse($"{check.Name} is {m.KeyState}; material can be re-imported into an Enabled or PendingImport key.");
        }

        check.CheckImport();
        if (p.ExpirationModel == RotationParameters.KeyMaterialExpires && m.ValidTo is { } current && p.ValidTo is { } wanted
            && wanted <= new DateTimeOffset(DateTime.SpecifyKind(current, DateTimeKind.Utc)))
        {
            check.Refuse($"The new expiry {wanted:u} is not later than the current one ({current:u}).", nameof(RotationParameters.ValidTo));
        }

        if (await check.Escrow.FindForKeyAsync(check.Target, m.KeyId, null, check.CancellationToken) is null)
        {
            check.Refuse($"No escrowed material exists for {check.Name}: only material that KmsConsole generated and imported can be re-imported.");
        }
    }

    /// <summary>Once the material is back with the new expiry, the request's "expiry must be later than the current one" no longer applies.</summary>
    internal override Task<ResumePreflight.Outcome> CheckResumeAsync(ResumePreflight resume, Run run, RunStep failed, CancellationToken cancellationToken) =>
        resume.SucceededBefore(run, failed, StepKey.ImportMaterial)
            ? resume.AfterEffectAsync(run, failed, cancellationToken)
            : resume.AsRequestedAsync(run, run.KeyId, cancellationToken);

    internal override void AddPermissions(KmsPermissionList p)
    {
        p.RequestReads("read the material's ValidTo (preflight, and to verify the import)");
        p.Add("ListKeyRotations", p.Key, "find the id of the key's current material");
        p.Add("GetParametersForImport", p.Key, "get the wrapping public key and import token");
        p.Escrow(seal: false);
        p.Add("ImportKeyMaterial", p.Key, "re-import the same material with a later ValidTo");
        p.RoundTrip(p.Key, "the key");
        p.Refresh(p.Key);
    }
}
