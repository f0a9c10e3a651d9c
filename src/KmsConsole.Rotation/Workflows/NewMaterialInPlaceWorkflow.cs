using Amazon.KeyManagementService;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Workflows;

/// <summary>Workflow 4: import NEW_KEY_MATERIAL into the same EXTERNAL key, then RotateKeyOnDemand; key id and alias stay.</summary>
internal sealed class NewMaterialInPlaceWorkflow : WorkflowDefinition
{
    public override WorkflowKind Kind => WorkflowKind.NewMaterialInPlace;
    public override string Label => "New material in place";
    public override string Description =>
        "Imports new key material into the same imported (EXTERNAL) key and makes it current on demand; the key id and aliases stay.";
    public override WorkflowInputs Inputs => WorkflowInputs.MaterialExpiry | WorkflowInputs.WrappingAlgorithm;
    internal override bool UsesEscrowKey => true;

    public override string? WhyNotFor(KeySummary key) =>
        key.Origin != OriginType.EXTERNAL.Value || key.KeySpec != KeySpec.SYMMETRIC_DEFAULT.Value
            ? "new material in place is only for symmetric keys with imported material (EXTERNAL)"
            : key.KeyState != KeyState.Enabled.Value ? "the key is not Enabled" : null;

    internal override IEnumerable<WorkflowStep> Steps(WorkflowStepSource source) =>
    [
        source.FirstGate(),
        new EncryptSampleStep(source.Kms),
        new GetImportParametersStep(source.Kms, RunValues.RunKey),
        new GenerateAndEscrowStep(source.Kms, source.Escrow, RunValues.RunKey),
        new ImportMaterialStep(source.Kms, source.Escrow, RunValues.RunKey, ImportType.NEW_KEY_MATERIAL, addsToCurrentMaterial: true),
        new RotateOnDemandStep(source.Kms),
        new VerifyImportedKeyStep(source.Kms, RunValues.RunKey, checkSample: true),
    ];

    internal override Task CheckRequestAsync(RequestCheck check)
    {
        var m = check.Metadata;
        if (!check.IsExternal || !check.IsSymmetric)
        {
            check.Refuse($"{check.Name} is {m.KeySpec} with origin {m.Origin}; new material in place is only for symmetric keys with imported material (EXTERNAL).");
        }

        if (m.MultiRegion == true)
        {
            check.Refuse($"{check.Name} is a multi-Region key; import new material into the primary key with the AWS console.");
        }

        check.RequireEnabled();
        check.CheckImport();
        return Task.CompletedTask;
    }

    internal override Task DescribeStateAsync(RequestCheck check) => check.NoteOnDemandRotationsAsync();

    internal override void AddPermissions(KmsPermissionList p)
    {
        p.RequestReads("read the key's origin and material state (preflight, and to verify the import)");
        p.Add("ListKeyRotations", p.Key, "count the key's materials and on-demand rotations, to import and rotate only once");
        p.Add("Encrypt", p.Key, "encrypt a sample under the current material");
        p.Add("GetParametersForImport", p.Key, "get the wrapping public key and import token");
        p.Escrow(seal: true);
        p.Add("ImportKeyMaterial", p.Key, "import NEW_KEY_MATERIAL into the key");
        p.Add("RotateKeyOnDemand", p.Key, "make the new material current");
        p.RoundTrip(p.Key, "the key's new material");
        p.Refresh(p.Key);
    }
}
