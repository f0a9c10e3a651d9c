using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Escrow;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Workflows;

/// <summary>
/// Reads the key's current state and lists what the run would do, refusing at once what KMS would refuse
/// (the rules quoted are AWS's, from the KMS API reference).
/// </summary>
internal sealed class Preflight(IKmsClientFactory clients, IWorkflowCatalog catalog, MaterialEscrow escrow, RotationStore store,
    Iam.RunPermissionCheck permissions, IOptions<RotationOptions> options)
{
    public const int MinRotationPeriod = 90;
    public const int MaxRotationPeriod = 2560;
    public const int MinPendingWindow = 7;
    public const int MaxPendingWindow = 30;
    public const int MaxValidToDays = 365;

    public sealed record Outcome(PreflightPlan Plan, string? AliasName, string? KeyArn);

    public async Task<Outcome> RunAsync(RotationRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await PlanAsync(request, cancellationToken);
        }
        catch (Amazon.Runtime.AmazonServiceException e) when (e.ErrorCode == "AccessDeniedException")
        {
            // The target's credentials may not even read what the request needs (DescribeKey, ListAliases, the
            // rotation status): KMS's message names the action and resource, which is what the user must fix.
            var unreadable = new KeySummary(request.Target, request.KeyIdOrAlias, "", [], "", "", "", "Unknown", "", null, null);
            return new Outcome(new PreflightPlan(false,
                [$"KMS refused a read the request needs on target '{request.Target}': {e.Message}. An Admin can grant the generated least-privilege policy for this workflow."],
                [], unreadable), null, null);
        }
    }

    private async Task<Outcome> PlanAsync(RotationRequest request, CancellationToken cancellationToken)
    {
        var refusals = new List<string>();
        var kms = clients.Create(request.Target);
        KeyMetadata metadata;
        try
        {
            metadata = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = request.KeyIdOrAlias }, cancellationToken)).KeyMetadata;
        }
        catch (NotFoundException e)
        {
            var missing = new KeySummary(request.Target, request.KeyIdOrAlias, "", [], "", "", "", "NotFound", "", null, null);
            return new Outcome(new PreflightPlan(false, [$"{request.KeyIdOrAlias} was not found on target '{request.Target}': {e.Message}"], [], missing), null, null);
        }

        var aliases = (await KmsKeys.AliasesOfAsync(kms, metadata.KeyId, cancellationToken)).Select(a => a.AliasName).ToList();
        var summary = Summarize(request.Target, metadata, aliases);
        var p = request.Parameters;
        var workflow = request.Workflow;
        var name = request.KeyIdOrAlias;

        string? alias = request.KeyIdOrAlias.StartsWith("alias/", StringComparison.Ordinal) ? request.KeyIdOrAlias : null;
        var needsAlias = workflow is WorkflowKind.AliasSwapNewKey or WorkflowKind.AliasSwapImportedKey;
        if (needsAlias && alias is null)
        {
            var own = aliases.Where(a => !a.StartsWith("alias/aws/", StringComparison.Ordinal)).ToList();
            if (own.Count == 1)
            {
                alias = own[0];
            }
            else
            {
                refusals.Add(own.Count == 0
                    ? $"{name} has no alias; an alias swap needs an alias that callers use."
                    : $"{name} has several aliases ({string.Join(", ", own)}); request the swap by the alias to move.");
            }
        }

        if (alias?.StartsWith("alias/aws/", StringComparison.Ordinal) == true || metadata.KeyManager == KeyManagerType.AWS)
        {
            refusals.Add($"{name} is an AWS managed key; AWS rotates it and its aliases cannot be changed.");
        }

        if (metadata.KeyState == KeyState.PendingDeletion || metadata.KeyState == KeyState.PendingReplicaDeletion)
        {
            refusals.Add($"{name} is pending deletion; cancel the deletion first (CancelKeyDeletion).");
        }

        var isExternal = metadata.Origin == OriginType.EXTERNAL;
        var isSymmetric = metadata.KeySpec == KeySpec.SYMMETRIC_DEFAULT;
        switch (workflow)
        {
            case WorkflowKind.EnableAutomaticRotation:
                if (!isSymmetric || metadata.Origin != OriginType.AWS_KMS)
                {
                    refusals.Add(isExternal
                        ? $"{name} has imported material (origin EXTERNAL); KMS rotates only AWS_KMS symmetric keys automatically. Use 'New material in place' or an alias swap."
                        : $"{name} is {metadata.KeySpec} with origin {metadata.Origin}; automatic rotation is supported only for symmetric encryption keys with origin AWS_KMS.");
                }

                RequireEnabled(metadata, name, refusals);
                if (p.RotationPeriodInDays is { } period && (period < MinRotationPeriod || period > MaxRotationPeriod))
                {
                    refusals.Add($"The rotation period must be between {MinRotationPeriod} and {MaxRotationPeriod} days (EnableKeyRotation); {period} was asked.");
                }

                break;
            case WorkflowKind.AliasSwapNewKey:
                if (metadata.Origin != OriginType.AWS_KMS)
                {
                    refusals.Add($"{name} has origin {metadata.Origin}; 'New key, alias swap' creates an AWS_KMS key and would swap the alias between keys of different types. " +
                        (isExternal ? "Use 'New imported key, alias swap'." : ""));
                }

                RequireEnabled(metadata, name, refusals);
                CheckFate(p, isExternal, refusals);
                break;
            case WorkflowKind.AliasSwapImportedKey:
                if (!isExternal || !isSymmetric)
                {
                    refusals.Add($"{name} is {metadata.KeySpec} with origin {metadata.Origin}; 'New imported key, alias swap' creates a symmetric EXTERNAL key, " +
                        "and an alias swap between keys of different types is refused.");
                }

                RequireEnabled(metadata, name, refusals);
                CheckFate(p, isExternal, refusals);
                CheckImport(p, refusals, store.Time.GetUtcNow(), wrapping: true);
                break;
            case WorkflowKind.NewMaterialInPlace:
                if (!isExternal || !isSymmetric)
                {
                    refusals.Add($"{name} is {metadata.KeySpec} with origin {metadata.Origin}; new material in place is only for symmetric keys with imported material (EXTERNAL).");
                }

                if (metadata.MultiRegion == true)
                {
                    refusals.Add($"{name} is a multi-Region key; import new material into the primary key with the AWS console.");
                }

                RequireEnabled(metadata, name, refusals);
                CheckImport(p, refusals, store.Time.GetUtcNow(), wrapping: true);
                break;
            case WorkflowKind.ReimportBeforeExpiry:
                if (!isExternal || !isSymmetric)
                {
                    refusals.Add($"{name} has origin {metadata.Origin}; only symmetric keys with imported material (EXTERNAL) can have material re-imported.");
                }

                if (metadata.KeyState != KeyState.Enabled && metadata.KeyState != KeyState.PendingImport)
                {
                    refusals.Add($"{name} is {metadata.KeyState}; material can be re-imported into an Enabled or PendingImport key.");
                }

                CheckImport(p, refusals, store.Time.GetUtcNow(), wrapping: true);
                if (p.ExpirationModel == RotationParameters.KeyMaterialExpires && metadata.ValidTo is { } current && p.ValidTo is { } wanted
                    && wanted <= new DateTimeOffset(DateTime.SpecifyKind(current, DateTimeKind.Utc)))
                {
                    refusals.Add($"The new expiry {wanted:u} is not later than the current one ({current:u}).");
                }

                if (await escrow.FindForKeyAsync(request.Target, metadata.KeyId, null, cancellationToken) is null)
                {
                    refusals.Add($"No escrowed material exists for {name}: only material that KmsConsole generated and imported can be re-imported.");
                }

                break;
            case WorkflowKind.RollBack:
                refusals.Add("A roll back is requested from the run it undoes.");
                break;
        }

        await using (var db = await store.ReadAsync(cancellationToken))
        {
            if (await ActiveRunOnAsync(db, request.Target, metadata.KeyId, alias, Guid.Empty, cancellationToken) is { } active)
            {
                refusals.Add($"Run {active.Id} ({active.Workflow}, {active.State}) is already active on {alias ?? name}; one run at a time per key and alias.");
            }
        }

        var stateNotes = await CurrentStateAsync(kms, metadata, alias, workflow, p, refusals, cancellationToken);
        if (workflow == WorkflowKind.AliasSwapImportedKey && p.OldKeyFate == OldKeyFate.DeleteImportedMaterial
            && await escrow.FindForKeyAsync(request.Target, metadata.KeyId, metadata.CurrentKeyMaterialId, cancellationToken) is null)
        {
            stateNotes[DeleteMaterialStepName] = (stateNotes.TryGetValue(DeleteMaterialStepName, out var known) ? known + " " : "") +
                "WARNING: KmsConsole holds no escrowed copy of this key's current material. Once it is deleted, data encrypted under the old key " +
                "decrypts again only if someone re-imports the same material from their own copy. Choose 'Disable' to keep the old key recoverable.";
        }

        // The executing principal's permissions, unless the request is already unworkable for lack of an alias.
        var permissionOutcome = Iam.PermissionOutcome.Off;
        if (workflow != WorkflowKind.RollBack && !(needsAlias && alias is null))
        {
            var resources = await ResourcesAsync(kms, metadata.Arn, alias, workflow, cancellationToken);
            permissionOutcome = await permissions.CheckAsync(request.Target, workflow, resources, p, cancellationToken);
            if (permissionOutcome.Refusal is { } missing)
            {
                refusals.Add(missing);
            }
        }

        var draft = new Run { Id = Guid.Empty, Workflow = workflow, Target = request.Target, KeyId = metadata.KeyId, AliasName = alias, Parameters = p };
        var steps = refusals.Count == 0 || workflow != WorkflowKind.RollBack
            ? catalog.StepsFor(draft).Select((s, i) => new PlannedStep(i, s.Name, s.Kind,
                stateNotes.TryGetValue(s.Name, out var now) ? $"{s.Description} Now: {now}" : s.Description)).ToList()
            : [];
        return new Outcome(new PreflightPlan(refusals.Count == 0, refusals, steps, summary, permissionOutcome), alias, metadata.Arn);
    }

    /// <summary>
    /// What a run on this key acts on, for the permission check: its key, alias, (for imports) the escrow key — null
    /// until the first import creates it — and, for a roll back, the key the alias points at now.
    /// </summary>
    internal async Task<Iam.KmsRunResources> ResourcesAsync(IAmazonKeyManagementService kms, string keyArn, string? alias, WorkflowKind workflow,
        CancellationToken cancellationToken)
    {
        var arn = keyArn.Split(':', 6);
        var (region, account) = (arn[3], arn[4]);
        var escrowAlias = options.Value.EscrowKeyAlias;
        string? escrowKeyArn = null;
        if (workflow is WorkflowKind.AliasSwapImportedKey or WorkflowKind.NewMaterialInPlace or WorkflowKind.ReimportBeforeExpiry)
        {
            escrowKeyArn = await ArnOfAsync(kms, escrowAlias, cancellationToken);
        }

        var aliasKeyArn = workflow == WorkflowKind.RollBack && alias is not null ? await ArnOfAsync(kms, alias, cancellationToken) : null;
        return new Iam.KmsRunResources(region, account, keyArn, alias, escrowKeyArn, aliasKeyArn, escrowAlias);
    }

    private static async Task<string?> ArnOfAsync(IAmazonKeyManagementService kms, string alias, CancellationToken cancellationToken) =>
        (await KmsKeys.FindAsync(kms, alias, cancellationToken))?.Arn;

    /// <summary>What the key looks like now, per step name, so the plan reads against the key's current state.</summary>
    private static async Task<Dictionary<string, string>> CurrentStateAsync(IAmazonKeyManagementService kms, KeyMetadata m, string? alias,
        WorkflowKind workflow, RotationParameters p, List<string> refusals, CancellationToken cancellationToken)
    {
        var notes = new Dictionary<string, string>();
        if (m.KeySpec != KeySpec.SYMMETRIC_DEFAULT || m.KeyState is not { } state || state == KeyState.PendingDeletion)
        {
            return notes;
        }

        if (workflow == WorkflowKind.EnableAutomaticRotation && m.Origin == OriginType.AWS_KMS)
        {
            var status = await KmsKeys.ReadAsync(() => kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = m.KeyId }, cancellationToken), cancellationToken);
            notes["Enable automatic rotation"] = status.KeyRotationEnabled == true
                ? $"rotation is on, every {status.RotationPeriodInDays} days (next {status.NextRotationDate:u}); the period becomes {p.RotationPeriodInDays ?? 365} days."
                : "automatic rotation is off.";
        }

        if ((workflow == WorkflowKind.EnableAutomaticRotation && p.RotateNow) || workflow == WorkflowKind.NewMaterialInPlace)
        {
            if (state != KeyState.PendingImport)
            {
                var rotations = await KmsKeys.RotationsAsync(kms, m.KeyId, includeMaterial: false, cancellationToken);
                var onDemand = rotations.Count(r => r.RotationType == RotationType.ON_DEMAND);
                notes["Rotate now"] = $"{onDemand} of the 25 on-demand rotations KMS allows per key are used.";
                if (onDemand >= 25)
                {
                    refusals.Add($"{m.KeyId} has had 25 on-demand rotations, the most KMS allows per key (RotateKeyOnDemand).");
                }
            }
        }

        if (alias is not null && workflow is WorkflowKind.AliasSwapNewKey or WorkflowKind.AliasSwapImportedKey)
        {
            notes["Point the alias at the new key"] = $"{alias} points at {m.KeyId}.";
            notes[workflow == WorkflowKind.AliasSwapNewKey ? "Create the new key" : "Create the new EXTERNAL key"] =
                $"the old key is {m.KeySpec}, {m.KeyUsage}, \"{m.Description}\".";
            foreach (var fate in new[] { "Disable the old key", "Schedule deletion of the old key", DeleteMaterialStepName })
            {
                notes[fate] = $"the old key {m.KeyId} is {state}.";
            }
        }

        if (m.Origin == OriginType.EXTERNAL)
        {
            var expiry = m.ExpirationModel == ExpirationModelType.KEY_MATERIAL_EXPIRES ? $"material expires {m.ValidTo:u}" : "material does not expire";
            notes["Wrap and re-import the escrowed material"] = $"the key is {state}; {expiry}.";
            notes["Wrap and import new key material"] = $"the key is {state}; {expiry}.";
        }

        return notes;
    }

    private const string DeleteMaterialStepName = "Delete the old key's imported material";

    public static string KeyLock(string target, string keyOrAlias) => $"{target}|{keyOrAlias}";

    /// <summary>The run, other than <paramref name="exceptRunId"/>, holding the one-active-run lock of the key or of the alias.</summary>
    internal static Task<ActiveRun?> ActiveRunOnAsync(RotationDbContext db, string target, string keyId, string? alias, Guid exceptRunId,
        CancellationToken cancellationToken)
    {
        var keyLock = KeyLock(target, keyId);
        var aliasLock = alias is null ? null : KeyLock(target, alias);
        return db.Runs.AsNoTracking()
            .Where(r => r.Id != exceptRunId && (r.ActiveKeyLock == keyLock || (aliasLock != null && r.ActiveAliasLock == aliasLock)))
            .Select(r => new ActiveRun(r.Id, r.Workflow, r.State)).FirstOrDefaultAsync(cancellationToken);
    }

    internal sealed record ActiveRun(Guid Id, WorkflowKind Workflow, RunState State);

    public static KeySummary Summarize(string target, KeyMetadata m, IReadOnlyList<string> aliases) =>
        new(target, m.KeyId, m.Arn, aliases, m.Origin?.Value ?? "", m.KeySpec?.Value ?? "", m.KeyUsage?.Value ?? "", m.KeyState?.Value ?? "",
            m.Description ?? "", m.ExpirationModel?.Value, m.ValidTo is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null);

    private static void RequireEnabled(KeyMetadata metadata, string name, List<string> refusals)
    {
        if (metadata.KeyState != KeyState.Enabled && metadata.KeyState != KeyState.PendingDeletion)
        {
            refusals.Add($"{name} is {metadata.KeyState}; this workflow needs an Enabled key.");
        }
    }

    private static void CheckFate(RotationParameters p, bool isExternal, List<string> refusals)
    {
        if (p.OldKeyFate == OldKeyFate.DeleteImportedMaterial && !isExternal)
        {
            refusals.Add("Only a key with imported material (EXTERNAL) can have its material deleted (DeleteImportedKeyMaterial).");
        }

        if (p.OldKeyFate == OldKeyFate.ScheduleDeletion && p.PendingWindowInDays is { } days && (days < MinPendingWindow || days > MaxPendingWindow))
        {
            refusals.Add($"The waiting period before deletion must be between {MinPendingWindow} and {MaxPendingWindow} days (ScheduleKeyDeletion); {days} was asked.");
        }
    }

    private static void CheckImport(RotationParameters p, List<string> refusals, DateTimeOffset now, bool wrapping)
    {
        if (wrapping && p.WrappingAlgorithm is not (RotationParameters.OaepSha256 or RotationParameters.OaepSha1))
        {
            refusals.Add($"Wrapping algorithm {p.WrappingAlgorithm} is not offered; choose RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.");
        }

        if (p.ExpirationModel == RotationParameters.KeyMaterialExpires)
        {
            if (p.ValidTo is not { } validTo)
            {
                refusals.Add("Expiring key material needs a ValidTo date (ImportKeyMaterial).");
            }
            else if (validTo <= now || validTo > now.AddDays(MaxValidToDays))
            {
                refusals.Add($"ValidTo must be in the future and at most {MaxValidToDays} days from now (ImportKeyMaterial); {validTo:u} was asked.");
            }
        }
        else if (p.ExpirationModel != RotationParameters.KeyMaterialDoesNotExpire)
        {
            refusals.Add($"Expiration model {p.ExpirationModel} is not KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE.");
        }
        else if (p.ValidTo is not null)
        {
            refusals.Add("ValidTo is only valid with KEY_MATERIAL_EXPIRES (ImportKeyMaterial).");
        }
    }
}
