namespace KmsConsole.Rotation.Workflows;

/// <summary>The stable keys of the built-in steps (<see cref="Runs.WorkflowStep.Key"/>); a workflow may add its own.</summary>
internal static class StepKey
{
    public const string Approval = "approval";
    public const string OldKeyFateApproval = "old-key-fate-approval";
    public const string EnableRotation = "enable-rotation";
    public const string VerifyRotationStatus = "verify-rotation-status";
    public const string RotateNow = "rotate-now";
    public const string RoundTrip = "round-trip";
    public const string EncryptSample = "encrypt-sample";
    public const string CreateKey = "create-key";
    public const string VerifyNewKey = "verify-new-key";
    public const string PointAliasAtNewKey = "point-alias-at-new-key";
    public const string PointAliasBack = "point-alias-back";
    public const string VerifyAlias = "verify-alias";
    public const string OldKeyFate = "old-key-fate";
    public const string PreviousKeyUsable = "previous-key-usable";
    public const string GetImportParameters = "get-import-parameters";
    public const string GenerateAndEscrow = "generate-and-escrow";
    public const string ImportMaterial = "import-material";
    public const string FindEscrowedMaterial = "find-escrowed-material";
    public const string VerifyImportedKey = "verify-imported-key";
}
