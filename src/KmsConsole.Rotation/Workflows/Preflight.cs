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
/// (the rules quoted are AWS's, from the KMS API reference). The rules every workflow shares are here; each
/// workflow's own are in its <see cref="WorkflowDefinition"/>.
/// </summary>
internal sealed class Preflight(IKmsClientFactory clients, IWorkflowCatalog catalog, WorkflowDefinitions definitions, MaterialEscrow escrow, RotationStore store,
    Iam.RunPermissionCheck permissions, IOptions<RotationOptions> options, Safety.HazardCheck safety)
{
    /// <summary>The state a key summary carries when KMS does not know the key (not a KMS key state).</summary>
    public const string NotFoundState = "NotFound";

    /// <summary>The state a key summary carries when the target's credentials may not read the key.</summary>
    public const string UnknownState = "Unknown";

    /// <param name="Kind">What kind of "no" the refusals are, when there are any.</param>
    /// <param name="Field">The parameter at fault when every refusal names one.</param>
    /// <param name="AwsError">KMS's refusal of a read the request needed.</param>
    public sealed record Outcome(PreflightPlan Plan, string? AliasName, string? KeyArn, RefusalKind Kind = RefusalKind.Conflict, string? Field = null,
        Amazon.Runtime.AmazonServiceException? AwsError = null)
    {
        public RotationRefusedException Refusal() => new(string.Join(" ", Plan.Refusals), Plan.Refusals, Kind, AwsError)
        {
            Field = Field,
            AwsErrorCode = AwsError?.ErrorCode,
            AwsMessage = AwsError?.Message,
            AwsRequestId = AwsError?.RequestId,
        };
    }

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
            var unreadable = new KeySummary(request.Target, request.KeyIdOrAlias, "", [], "", "", "", UnknownState, "", null, null);
            return new Outcome(new PreflightPlan(false,
                [$"KMS refused a read the request needs on target '{request.Target}': {e.Message}. An Admin can grant the generated least-privilege policy for this workflow."],
                [], unreadable), null, null, RefusalKind.KmsRefused, AwsError: e);
        }
    }

    private async Task<Outcome> PlanAsync(RotationRequest request, CancellationToken cancellationToken)
    {
        var definition = definitions[request.Workflow];
        var kms = clients.Create(request.Target);
        KeyMetadata metadata;
        try
        {
            metadata = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = request.KeyIdOrAlias }, cancellationToken)).KeyMetadata;
        }
        catch (NotFoundException e)
        {
            var missing = new KeySummary(request.Target, request.KeyIdOrAlias, "", [], "", "", "", NotFoundState, "", null, null);
            return new Outcome(new PreflightPlan(false, [$"{request.KeyIdOrAlias} was not found on target '{request.Target}': {e.Message}"], [], missing), null, null,
                RefusalKind.NotFound, AwsError: e);
        }

        var aliases = (await KmsKeys.AliasesOfAsync(kms, metadata.KeyId, cancellationToken)).Select(a => a.AliasName).ToList();
        var summary = Summarize(request.Target, metadata, aliases);
        var check = new RequestCheck(request, metadata, kms, escrow, store.Time.GetUtcNow(), cancellationToken) { Safety = safety };
        var name = request.KeyIdOrAlias;

        check.Alias = request.KeyIdOrAlias.StartsWith(AliasNames.Prefix, StringComparison.Ordinal) ? request.KeyIdOrAlias : null;
        var needsAlias = definition.MovesAlias && definition.RequestedFromKey;
        if (needsAlias && check.Alias is null)
        {
            var own = aliases.Where(a => !a.StartsWith(AliasNames.AwsPrefix, StringComparison.Ordinal)).ToList();
            if (own.Count == 1)
            {
                check.Alias = own[0];
            }
            else
            {
                check.Refuse(own.Count == 0
                    ? $"{name} has no alias; an alias swap needs an alias that callers use."
                    : $"{name} has several aliases ({string.Join(", ", own)}); request the swap by the alias to move.");
            }
        }

        var alias = check.Alias;
        if (alias?.StartsWith(AliasNames.AwsPrefix, StringComparison.Ordinal) == true || metadata.KeyManager == KeyManagerType.AWS)
        {
            check.Refuse($"{name} is an AWS managed key; AWS rotates it and its aliases cannot be changed.");
        }

        if (metadata.KeyState == KeyState.PendingDeletion || metadata.KeyState == KeyState.PendingReplicaDeletion)
        {
            check.Refuse($"{name} is pending deletion; cancel the deletion first (CancelKeyDeletion).");
        }

        await definition.CheckRequestAsync(check);

        await using (var db = await store.ReadAsync(cancellationToken))
        {
            if (await ActiveRunOnAsync(db, request.Target, metadata.KeyId, alias, Guid.Empty, cancellationToken) is { } active)
            {
                check.Refuse($"Run {active.Id} ({active.Workflow}, {active.State}) is already active on {alias ?? name}; one run at a time per key and alias.");
            }
        }

        await definition.DescribeStateAsync(check);
        if (check.StateReadable && check.IsExternal)
        {
            var expiry = metadata.ExpirationModel == ExpirationModelType.KEY_MATERIAL_EXPIRES ? $"material expires {metadata.ValidTo:u}" : "material does not expire";
            check.Note(StepKey.ImportMaterial, $"the key is {metadata.KeyState}; {expiry}.");
        }

        // The executing principal's permissions, unless the request is already unworkable for lack of an alias.
        var permissionOutcome = Iam.PermissionOutcome.Off;
        if (definition.RequestedFromKey && !(needsAlias && alias is null))
        {
            var resources = await ResourcesAsync(kms, metadata.Arn, alias, definition, cancellationToken);
            permissionOutcome = await permissions.CheckAsync(request.Target, definition, resources, request.Parameters, cancellationToken);
            if (permissionOutcome.Refusal is { } missing)
            {
                check.Refuse(missing);
            }
        }

        var draft = new Run { Id = Guid.Empty, Workflow = request.Workflow, Target = request.Target, KeyId = metadata.KeyId, AliasName = alias, Parameters = request.Parameters };
        var steps = definition.RequestedFromKey
            ? catalog.StepsFor(draft).Select((s, i) => new PlannedStep(i, s.Name, s.Kind,
                check.Notes.TryGetValue(s.Key, out var now) ? $"{s.Description} Now: {now}" : s.Description)).ToList()
            : [];
        var refusals = check.Refusals;
        var invalid = refusals.Count > 0 && refusals.All(r => r.Field is not null);
        return new Outcome(new PreflightPlan(refusals.Count == 0, refusals.Select(r => r.Reason).ToList(), steps, summary, permissionOutcome) { Hazards = check.Hazards },
            alias, metadata.Arn,
            invalid ? RefusalKind.Invalid : RefusalKind.Conflict, invalid ? refusals[0].Field : null);
    }

    /// <summary>
    /// What a run on this key acts on, for the permission check: its key, alias, (for imports) the escrow key — null
    /// until the first import creates it — and, for a roll back, the key the alias points at now.
    /// </summary>
    internal async Task<Iam.KmsRunResources> ResourcesAsync(IAmazonKeyManagementService kms, string keyArn, string? alias, WorkflowDefinition workflow,
        CancellationToken cancellationToken)
    {
        var arn = keyArn.Split(':', 6);
        var (region, account) = (arn[3], arn[4]);
        var escrowAlias = options.Value.EscrowKeyAlias;
        var escrowKeyArn = workflow.UsesEscrowKey ? await ArnOfAsync(kms, escrowAlias, cancellationToken) : null;
        var aliasKeyArn = workflow.StartsFromAliasKey && alias is not null ? await ArnOfAsync(kms, alias, cancellationToken) : null;
        var replicas = workflow.MovesAlias ? Safety.ReplicaRegions.Of((await KmsKeys.DescribeAsync(kms, keyArn, cancellationToken)).KeyMetadata) : [];
        return new Iam.KmsRunResources(region, account, keyArn, alias, escrowKeyArn, aliasKeyArn, escrowAlias) { ReplicaRegions = replicas };
    }

    private static async Task<string?> ArnOfAsync(IAmazonKeyManagementService kms, string alias, CancellationToken cancellationToken) =>
        (await KmsKeys.FindAsync(kms, alias, cancellationToken))?.Arn;

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
}
