using Amazon.KeyManagementService;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Runs;
using KmsConsole.Rotation.Safety;

namespace KmsConsole.Rotation.Workflows;

/// <summary>
/// Workflows 2 and 3: a new key copying the old one's description, spec, usage, policy and tags, verified, the alias
/// moved to it, then the old key's fate behind a gate of its own when it is destructive. The imported variant creates
/// an EXTERNAL key and imports escrowed material into it.
/// </summary>
internal abstract class AliasSwapWorkflow : WorkflowDefinition
{
    public override bool MovesAlias => true;
    public override bool CanBeRolledBack => true;
    internal override string? AliasMoveStepKey => StepKey.PointAliasAtNewKey;

    protected abstract bool Imported { get; }

    /// <summary>The key's origin and spec fit the new key this variant creates.</summary>
    protected abstract bool FitsOrigin(KeySummary key);

    public override string? WhyNotFor(KeySummary key) =>
        !FitsOrigin(key) ? $"'{Label}' swaps the alias only between keys of the same origin and type"
        : !key.Aliases.Any(a => !a.StartsWith(AliasNames.AwsPrefix, StringComparison.Ordinal)) ? "the key has no alias of its own to move"
        : key.KeyState != KeyState.Enabled.Value ? "the key is not Enabled"
        : null;

    internal override IEnumerable<WorkflowStep> Steps(WorkflowStepSource source)
    {
        // A run recorded before the safety steps existed keeps the steps it was recorded with (steps are matched by index).
        var steps = StepsOf(source, safety: true).ToList();
        var recorded = source.Run.Steps.Count;
        return recorded > 0 && recorded != steps.Count ? StepsOf(source, safety: false) : steps;
    }

    private IEnumerable<WorkflowStep> StepsOf(WorkflowStepSource source, bool safety)
    {
        var kms = source.Kms;
        yield return source.FirstGate();
        yield return new EncryptSampleStep(kms);
        yield return new CreateKeyStep(kms, external: Imported);
        if (Imported)
        {
            yield return new GetImportParametersStep(kms, CreateKeyStep.NewKeyValue);
            yield return new GenerateAndEscrowStep(kms, source.Escrow, CreateKeyStep.NewKeyValue);
            yield return new ImportMaterialStep(kms, source.Escrow, CreateKeyStep.NewKeyValue, ImportType.NEW_KEY_MATERIAL);
        }

        yield return new VerifyNewKeyStep(kms);
        if (safety)
        {
            yield return new ReplicateNewKeyStep(kms, source.InRegion);
            yield return new CopyGrantsStep(kms);
        }

        yield return new PointAliasStep(kms, CreateKeyStep.NewKeyValue, StepKey.PointAliasAtNewKey, "Point the alias at the new key");
        if (safety)
        {
            yield return PointReplicaAliasesStep.ForSwap(kms, source.InRegion);
        }

        yield return new VerifyAliasStep(kms, CreateKeyStep.NewKeyValue, checkSample: true);

        // Destructive fates sit behind a gate of their own; keeping the old key needs none.
        var fate = source.Parameters.OldKeyFate;
        if (fate != OldKeyFate.Keep)
        {
            var gate = source.Gate(StepKey.OldKeyFateApproval, "Approval of the old key's fate",
                $"The old key's fate ({fate}) is destructive and approved separately.");
            yield return safety && source.Safety is { } check ? new HazardGate(gate, check, kms) : gate;
            if (fate == OldKeyFate.StagedRetirement)
            {
                yield return new OldKeyFateStep(kms, OldKeyFate.Disable, null, inRegion: source.InRegion);
                yield return new RetirementWatchStep(kms, source.Safety, source.InRegion);
                yield return source.Gate(SafetyStepKey.RetirementDeletionApproval, "Approval of the old key's deletion",
                    "The watch is over and the disabled key was not used; scheduling its deletion is approved separately.");
                yield return new OldKeyFateStep(kms, OldKeyFate.ScheduleDeletion, source.Parameters.PendingWindowInDays, SafetyStepKey.RetirementScheduleDeletion,
                    source.InRegion);
            }
            else
            {
                yield return new OldKeyFateStep(kms, fate, source.Parameters.PendingWindowInDays, inRegion: source.InRegion);
            }
        }
    }

    internal override Task CheckRequestAsync(RequestCheck check)
    {
        check.RequireEnabled();
        check.CheckFate();
        var m = check.Metadata;
        if (m.MultiRegion == true && m.MultiRegionConfiguration?.MultiRegionKeyType == MultiRegionKeyType.REPLICA)
        {
            check.Refuse($"{check.Name} is a replica of the multi-Region key {m.MultiRegionConfiguration.PrimaryKey?.Arn}; rotate the primary " +
                $"(in {m.MultiRegionConfiguration.PrimaryKey?.Region}), which replicates the new key into every Region of its replicas.");
        }
        else if (m.MultiRegion == true && Imported)
        {
            check.Refuse($"{check.Name} is a multi-Region key with imported material; '{Label}' does not make multi-Region imported keys " +
                "(each replica would need its own import).");
        }

        return Task.CompletedTask;
    }

    internal override async Task DescribeStateAsync(RequestCheck check)
    {
        var m = check.Metadata;
        if (check.StateReadable && check.Alias is { } alias)
        {
            check.Note(StepKey.PointAliasAtNewKey, $"{alias} points at {m.KeyId}.");
            check.Note(StepKey.CreateKey, $"the old key is {m.KeySpec}, {m.KeyUsage}, \"{m.Description}\".");
            check.Note(StepKey.OldKeyFate, $"the old key {m.KeyId} is {m.KeyState}.");
        }

        if (check.Safety is { } safety && check.Alias is not null)
        {
            check.Hazards.AddRange(await safety.FindAsync(new HazardScope(check.Target, check.Kms, m.KeyId, check.Alias), check.CancellationToken));
        }
    }

    internal override Task<ResumePreflight.Outcome> CheckResumeAsync(ResumePreflight resume, Run run, RunStep failed, CancellationToken cancellationToken) =>
        resume.AliasSwapAsync(run, failed, cancellationToken);

    internal override void AddPermissions(KmsPermissionList p)
    {
        var key = p.Key;
        var anyKey = p.AnyKey;
        p.RequestReads("read the old key (preflight), copy its description, spec and usage, check its fate");
        p.Add("Encrypt", key, "encrypt a sample under the current key");
        p.Add("Decrypt", key, "show the sample encrypted under the old key still decrypts after the swap");
        p.Add("GetKeyPolicy", key, "copy the old key's policy to the new key");
        p.Add("ListResourceTags", key, "copy the old key's tags to the new key");
        p.Recovery("ListKeys", "*", "find a new key an interrupted run already created, by its run-id tag");
        p.Recovery("ListResourceTags", anyKey, "read the keys' tags to find a new key an interrupted run already created");
        p.Add("CreateKey", "*", Imported ? "create the new key with origin EXTERNAL" : "create the new key");
        p.Add("TagResource", anyKey, "tag the new key with the run id (CreateKey with Tags)");
        p.Add("DescribeKey", anyKey, "verify the new key and that the alias resolves to it");
        if (Imported)
        {
            p.Add("GetParametersForImport", anyKey, "get the wrapping public key and import token for the new key");
            p.Add("ImportKeyMaterial", anyKey, "import the wrapped material into the new key");
            p.Escrow(seal: true);
        }

        p.Add("GetKeyLastUsage", key, "read the old key's last use (hazard check before the request and at the old key's fate)");
        p.Add("ListGrants", key, "list the old key's grants (hazard check) and copy them to the new key");
        p.Add("GetKeyPolicy", anyKey, "read the key policies of the target's keys in the key list for references to the alias or the old key, and compare the new key's with the old one's (hazard check)");
        p.Add("CreateGrant", anyKey, "copy the old key's grants to the new key");
        p.RoundTrip(anyKey, "the new key, directly and through the alias");
        p.Add("UpdateAlias", p.Resources.AliasArn, "move the alias (checked on the alias)");
        p.Add("UpdateAlias", key, "move the alias away from the current key (checked on the current key)");
        p.Add("UpdateAlias", anyKey, "move the alias to the new key (checked on the new key)");
        if (p.Fate(OldKeyFate.Disable) || p.Fate(OldKeyFate.StagedRetirement))
        {
            p.Add("DisableKey", key, "disable the old key");
        }

        if (p.Fate(OldKeyFate.ScheduleDeletion) || p.Fate(OldKeyFate.StagedRetirement))
        {
            p.Add("ScheduleKeyDeletion", key, "schedule the old key's deletion");
        }

        if (p.Fate(OldKeyFate.StagedRetirement))
        {
            p.Add("EnableKey", key, "re-enable the old key if it is still needed during its staged retirement (one click, audited)");
        }

        foreach (var region in p.Resources.ReplicaRegions ?? [])
        {
            var account = p.Resources.AccountId;
            var oldKeyId = key[(key.LastIndexOf('/') + 1)..];
            p.Add("ReplicateKey", anyKey, $"replicate the new key into {region} (checked on the new key in its own Region)");
            p.Add("CreateKey", "*", $"ReplicateKey creates the replica in {region} (an IAM policy there)");
            p.Add("TagResource", Iam.KmsArns.AnyKey(region, account), $"tag the new key's replica in {region} with the run id");
            p.Add("DescribeKey", Iam.KmsArns.Key(region, account, oldKeyId), $"read the old key's replica in {region}");
            p.Add("GetKeyPolicy", Iam.KmsArns.Key(region, account, oldKeyId), $"copy the policy of the old key's replica in {region}");
            p.Add("DescribeKey", Iam.KmsArns.AnyKey(region, account), $"wait for the new key's replica in {region} and find the alias there");
            p.Add("UpdateAlias", Iam.KmsArns.Alias(region, account, p.Resources.AliasName ?? "alias/*"), $"move the alias in {region} (checked on the alias)");
            p.Add("UpdateAlias", Iam.KmsArns.Key(region, account, oldKeyId), $"move the alias in {region} away from the old key's replica");
            p.Add("UpdateAlias", Iam.KmsArns.AnyKey(region, account), $"move the alias in {region} to the new key's replica");
            p.Add("ListAliases", "*", $"find the alias in {region}");
            var oldReplica = Iam.KmsArns.Key(region, account, oldKeyId);
            if (p.Fate(OldKeyFate.Disable) || p.Fate(OldKeyFate.StagedRetirement))
            {
                p.Add("DisableKey", oldReplica, $"disable the old key's replica in {region} with the old key");
            }

            if (p.Fate(OldKeyFate.ScheduleDeletion) || p.Fate(OldKeyFate.StagedRetirement))
            {
                p.Add("ScheduleKeyDeletion", oldReplica, $"schedule the deletion of the old key's replica in {region} (before the old key's: AWS deletes a primary only after its replicas)");
            }

            if (p.Fate(OldKeyFate.StagedRetirement))
            {
                p.Add("GetKeyLastUsage", oldReplica, $"watch the disabled replica in {region} for use during the staged retirement");
                p.Add("EnableKey", oldReplica, $"re-enable the old key's replica in {region} with the old key (one click, audited)");
            }
        }

        if (Imported && p.Fate(OldKeyFate.DeleteImportedMaterial))
        {
            p.Add("DeleteImportedKeyMaterial", key, "delete the old key's imported material");
        }

        // Every fate but ScheduleDeletion leaves the old key's rotation readable (null asks for them all).
        p.Refresh(key, pendingDeletion: p.OldKeyFate is not null && (p.Fate(OldKeyFate.ScheduleDeletion) || p.Fate(OldKeyFate.StagedRetirement)),
            pendingImport: p.OldKeyFate is not null && p.Fate(OldKeyFate.DeleteImportedMaterial));
        p.Refresh(anyKey);
    }
}

/// <summary>Workflow 2: a new AWS_KMS key, alias swap.</summary>
internal sealed class AliasSwapNewKeyWorkflow : AliasSwapWorkflow
{
    public override WorkflowKind Kind => WorkflowKind.AliasSwapNewKey;
    public override string Label => "New key, alias swap";
    public override string Description =>
        "Creates a new key like the old one (description, spec, usage, policy, tags), moves the alias to it, then keeps, disables or schedules the deletion of the old key.";
    public override WorkflowInputs Inputs => WorkflowInputs.OldKeyFate;
    public override IReadOnlyList<OldKeyFate> OldKeyFates => [OldKeyFate.Keep, OldKeyFate.Disable, OldKeyFate.StagedRetirement, OldKeyFate.ScheduleDeletion];
    protected override bool Imported => false;

    protected override bool FitsOrigin(KeySummary key) => key.Origin == OriginType.AWS_KMS.Value;

    internal override Task CheckRequestAsync(RequestCheck check)
    {
        var m = check.Metadata;
        if (m.Origin != OriginType.AWS_KMS)
        {
            check.Refuse($"{check.Name} has origin {m.Origin}; 'New key, alias swap' creates an AWS_KMS key and would swap the alias between keys of different types. " +
                (check.IsExternal ? "Use 'New imported key, alias swap'." : ""));
        }

        return base.CheckRequestAsync(check);
    }
}

/// <summary>Workflow 3: a new EXTERNAL key with fresh escrowed material, alias swap.</summary>
internal sealed class AliasSwapImportedKeyWorkflow : AliasSwapWorkflow
{
    private const string NoEscrowWarning =
        "WARNING: KmsConsole holds no escrowed copy of this key's current material. Once it is deleted, data encrypted under the old key " +
        "decrypts again only if someone re-imports the same material from their own copy. Choose 'Disable' to keep the old key recoverable.";

    public override WorkflowKind Kind => WorkflowKind.AliasSwapImportedKey;
    public override string Label => "New imported key, alias swap";
    public override string Description =>
        "Creates a new EXTERNAL key, imports fresh escrowed material into it, moves the alias to it, then decides the old key's fate (including deleting its imported material).";
    public override WorkflowInputs Inputs => WorkflowInputs.OldKeyFate | WorkflowInputs.MaterialExpiry | WorkflowInputs.WrappingAlgorithm;
    public override IReadOnlyList<OldKeyFate> OldKeyFates =>
        [OldKeyFate.Keep, OldKeyFate.Disable, OldKeyFate.StagedRetirement, OldKeyFate.ScheduleDeletion, OldKeyFate.DeleteImportedMaterial];
    protected override bool Imported => true;
    internal override bool UsesEscrowKey => true;

    protected override bool FitsOrigin(KeySummary key) => key.Origin == OriginType.EXTERNAL.Value && key.KeySpec == KeySpec.SYMMETRIC_DEFAULT.Value;

    internal override async Task CheckRequestAsync(RequestCheck check)
    {
        var m = check.Metadata;
        if (!check.IsExternal || !check.IsSymmetric)
        {
            check.Refuse($"{check.Name} is {m.KeySpec} with origin {m.Origin}; 'New imported key, alias swap' creates a symmetric EXTERNAL key, " +
                "and an alias swap between keys of different types is refused.");
        }

        await base.CheckRequestAsync(check);
        check.CheckImport();
    }

    internal override async Task DescribeStateAsync(RequestCheck check)
    {
        await base.DescribeStateAsync(check);
        var m = check.Metadata;
        if (check.Parameters.OldKeyFate == OldKeyFate.DeleteImportedMaterial
            && await check.Escrow.FindForKeyAsync(check.Target, m.KeyId, m.CurrentKeyMaterialId, check.CancellationToken) is null)
        {
            check.Note(StepKey.OldKeyFate, NoEscrowWarning);
        }
    }
}
