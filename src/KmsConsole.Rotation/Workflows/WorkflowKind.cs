namespace KmsConsole.Rotation;

public enum WorkflowKind
{
    EnableAutomaticRotation,
    AliasSwapNewKey,
    AliasSwapImportedKey,
    NewMaterialInPlace,
    ReimportBeforeExpiry,
    RollBack,
}

public enum RunState
{
    AwaitingApproval,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Rejected,
    RolledBack,
}

public enum StepState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
    AwaitingApproval,
}

public enum StepKind
{
    Action,
    Gate,
}

public enum OldKeyFate
{
    Keep,
    Disable,
    ScheduleDeletion,
    DeleteImportedMaterial,

    /// <summary>Disable the old key, watch it for a while (its last use re-read daily), then schedule its deletion behind a gate of its own.</summary>
    StagedRetirement,
}

public enum ApprovalDecision
{
    Approved,
    Rejected,
}
