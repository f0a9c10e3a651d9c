namespace KmsConsole.Rotation.Iam;

/// <summary>One KMS action a workflow calls, on which resource, and why (shown next to the preflight answer).</summary>
/// <param name="RecoveryOnly">
/// Called only when a run recovers from an interruption (a resumed run looking for the key whose CreateKey answer it
/// lost), never on an uninterrupted run. Still required and still granted: without it such a run cannot recover.
/// </param>
public sealed record KmsPermission(string Action, string Resource, string Reason, bool RecoveryOnly = false);

/// <summary>
/// What a run acts on. <see cref="KeyArn"/> is the key the run starts from; <see cref="AliasName"/> the alias it
/// moves (alias swap, roll back); <see cref="EscrowKeyArn"/> the key that envelopes escrowed imported material,
/// null when it does not exist yet (the first import creates it, under <see cref="EscrowAliasName"/>);
/// <see cref="AliasKeyArn"/> the key the alias points at when that is not <see cref="KeyArn"/> (a roll back
/// starts with the alias on the swap's new key), null to name it as any key of the account.
/// </summary>
public sealed record KmsRunResources(string Region, string AccountId, string KeyArn, string? AliasName = null, string? EscrowKeyArn = null,
    string? AliasKeyArn = null, string EscrowAliasName = "alias/kmsconsole-escrow")
{
    /// <summary>The Regions of the key's replicas when it is a multi-Region primary (the alias swaps replicate the new key there); null or empty otherwise.</summary>
    public IReadOnlyList<string>? ReplicaRegions { get; init; }

    public string AliasArn => AliasName is null ? throw new InvalidOperationException("This workflow needs the alias it moves.")
        : KmsArns.Alias(Region, AccountId, AliasName);

    /// <summary>A key the run creates has no id yet; IAM can only be asked about "any key of the account".</summary>
    public string AnyKeyArn => KmsArns.AnyKey(Region, AccountId);

    public string EscrowAliasArn => KmsArns.Alias(Region, AccountId, EscrowAliasName);
}

public static class KmsArns
{
    public static string Key(string region, string accountId, string keyId) => $"arn:aws:kms:{region}:{accountId}:key/{keyId}";

    public static string AnyKey(string region, string accountId) => $"arn:aws:kms:{region}:{accountId}:key/*";

    public static string Alias(string region, string accountId, string aliasName) =>
        $"arn:aws:kms:{region}:{accountId}:{(aliasName.StartsWith("alias/", StringComparison.Ordinal) ? aliasName : "alias/" + aliasName)}";

    public static string AnyAlias(string region, string accountId) => $"arn:aws:kms:{region}:{accountId}:alias/*";
}

/// <summary>
/// The KMS actions each workflow calls, per resource — the request's own reads (the preflight) and every step's
/// calls, including the ones only a resumed or retried step makes — following the "Required permissions" of each
/// operation in the KMS API reference. Each workflow's definition lists its own (<see cref="Workflows.WorkflowDefinition"/>,
/// with the building blocks of <see cref="KmsPermissionList"/>); this is where they are asked for. Notably kms:UpdateAlias
/// is checked on the alias (IAM policy) and on both the current and the new key (key policy), kms:CreateAlias on the
/// alias and on its key, and CreateKey with Tags needs kms:TagResource in an IAM policy covering every key of the
/// account; with the default key policy the key checks are delegated to IAM, so the principal's IAM policies must
/// allow them all. ListKeys and ListAliases act on no resource ("*"). The reads that refresh a run's keys in the key
/// list when it ends are included; the key list's own sync and detail reads, made with the same credentials, are
/// <see cref="ForInventory"/>. The search for a key an interrupted run created (ListKeys, ListResourceTags on any key)
/// is <see cref="KmsPermission.RecoveryOnly"/>: an uninterrupted run never makes it, but the role needs it to recover,
/// so it is checked and granted all the same. Workflows are named as <c>WorkflowKind</c>'s members
/// (EnableAutomaticRotation, AliasSwapNewKey, AliasSwapImportedKey, NewMaterialInPlace, ReimportBeforeExpiry,
/// RollBack); pass <c>kind.ToString()</c>.
/// </summary>
public static class KmsPermissionRequirements
{
    /// <summary>Ends the reason of a <see cref="KmsPermission.RecoveryOnly"/> requirement, so the preflight and the grant preview say why it is there.</summary>
    public const string RecoveryOnlyNote = " (only when resuming a run whose CreateKey answer was lost; an uninterrupted run does not call it)";

    public static IReadOnlyList<string> Workflows { get; } = Rotation.Workflows.WorkflowDefinitions.BuiltIn.All.Select(d => d.Kind.ToString()).ToList();

    /// <summary>Old key fates of the alias-swap workflows (names of <c>OldKeyFate</c>).</summary>
    public static IReadOnlyList<string> OldKeyFates { get; } = Enum.GetNames<OldKeyFate>();

    /// <summary>As <see cref="For(string, KmsRunResources, bool, string?)"/> for the orchestrator's enums (WorkflowKind, OldKeyFate).</summary>
    public static IReadOnlyList<KmsPermission> For<TWorkflow>(TWorkflow workflow, KmsRunResources resources, bool rotateNow = false, Enum? oldKeyFate = null)
        where TWorkflow : struct, Enum =>
        For(workflow.ToString(), resources, rotateNow, oldKeyFate?.ToString());

    /// <summary>
    /// The read-only calls of the console's key list, made with each target's credentials: the sync (ListKeys,
    /// ListAliases, then per key DescribeKey, GetKeyRotationStatus, ListKeyRotations), a key's detail page
    /// (also ListResourceTags) and the refresh of a run's keys when it ends. They read every key of the account,
    /// so they cannot be narrowed to a run's resources; none of them touches key material or plaintext.
    /// </summary>
    public static IReadOnlyList<KmsPermission> ForInventory(string region, string accountId)
    {
        var anyKey = KmsArns.AnyKey(region, accountId);
        return
        [
            new("kms:ListKeys", "*", "list the account's keys for the key list"),
            new("kms:ListAliases", "*", "list the aliases shown in the key list"),
            new("kms:DescribeKey", anyKey, "read each key's state, origin, spec and expiry for the key list"),
            new("kms:GetKeyRotationStatus", anyKey, "read each key's automatic rotation for the key list"),
            new("kms:ListKeyRotations", anyKey, "read each key's last rotation and its key materials"),
            new("kms:ListResourceTags", anyKey, "show a key's tags on its detail page"),
            new("kms:GetKeyLastUsage", anyKey, "read each key's last cryptographic use for the key list and its detail page"),
        ];
    }

    /// <param name="workflow">A <c>WorkflowKind</c> name.</param>
    /// <param name="resources">The run's key, alias and escrow key.</param>
    /// <param name="rotateNow">EnableAutomaticRotation also calls RotateKeyOnDemand.</param>
    /// <param name="oldKeyFate">An <c>OldKeyFate</c> name for the alias swaps; null asks for every fate's permission.</param>
    public static IReadOnlyList<KmsPermission> For(string workflow, KmsRunResources resources, bool rotateNow = false, string? oldKeyFate = null)
    {
        var definition = Rotation.Workflows.WorkflowDefinitions.BuiltIn.All.FirstOrDefault(d => d.Kind.ToString() == workflow)
            ?? throw new ArgumentException($"Unknown workflow '{workflow}'. Known: {string.Join(", ", Workflows)}.", nameof(workflow));
        return For(definition, resources, rotateNow, oldKeyFate);
    }

    /// <summary>The permissions the workflow's definition declares, one line per action and resource.</summary>
    public static IReadOnlyList<KmsPermission> For(Rotation.Workflows.WorkflowDefinition workflow, KmsRunResources resources, bool rotateNow = false,
        string? oldKeyFate = null)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(resources);
        var list = new KmsPermissionList(resources, rotateNow, oldKeyFate);
        workflow.AddPermissions(list);
        return list.Merged();
    }
}

/// <summary>The permissions a workflow declares, with the blocks several workflows share (the request's reads, a round trip, the escrow, the refresh).</summary>
public sealed class KmsPermissionList
{
    private readonly List<KmsPermission> _list = [];

    internal KmsPermissionList(KmsRunResources resources, bool rotateNow, string? oldKeyFate)
    {
        Resources = resources;
        RotateNow = rotateNow;
        OldKeyFate = oldKeyFate;
    }

    public KmsRunResources Resources { get; }

    /// <summary>The run's key (the key it starts from).</summary>
    public string Key => Resources.KeyArn;

    /// <summary>Any key of the account, for a key the run creates (no id yet).</summary>
    public string AnyKey => Resources.AnyKeyArn;

    /// <summary>The run also rotates on demand.</summary>
    public bool RotateNow { get; }

    /// <summary>The old key's fate asked, by name; null asks for every fate.</summary>
    public string? OldKeyFate { get; }

    /// <summary>The old key's fate is <paramref name="fate"/>, or every fate is asked for.</summary>
    public bool Fate(OldKeyFate fate) => OldKeyFate is null || string.Equals(OldKeyFate, fate.ToString(), StringComparison.OrdinalIgnoreCase);

    public void Add(string action, string resource, string reason) => _list.Add(new KmsPermission("kms:" + action, resource, reason));

    /// <summary>A call only the recovery of an interrupted run makes (<see cref="KmsPermission.RecoveryOnly"/>).</summary>
    public void Recovery(string action, string resource, string reason) =>
        _list.Add(new KmsPermission("kms:" + action, resource, reason + KmsPermissionRequirements.RecoveryOnlyNote, RecoveryOnly: true));

    /// <summary>Every request reads the key and its aliases before the run exists.</summary>
    public void RequestReads(string describeWhy)
    {
        Add("DescribeKey", Key, describeWhy);
        Add("ListAliases", "*", "find the key's aliases (preflight)");
    }

    /// <summary>
    /// When a run ends its keys are read again for the key list (KeyInventory.RefreshAsync): DescribeKey and
    /// ListAliases, then GetKeyRotationStatus unless the key is pending deletion, and ListKeyRotations unless it
    /// is also not pending import; GetKeyLastUsage in every state.
    /// </summary>
    public void Refresh(string resource, bool pendingDeletion = false, bool pendingImport = false)
    {
        const string why = "refresh the key list when the run ends";
        Add("DescribeKey", resource, why);
        Add("ListAliases", "*", why);
        Add("GetKeyLastUsage", resource, why);
        if (!pendingDeletion)
        {
            Add("GetKeyRotationStatus", resource, why);
            if (!pendingImport)
            {
                Add("ListKeyRotations", resource, why);
            }
        }
    }

    public void RoundTrip(string resource, string what)
    {
        Add("Encrypt", resource, $"encrypt a probe under {what}");
        Add("Decrypt", resource, $"decrypt the probe (and the sample) under {what}");
    }

    /// <summary>
    /// MaterialEscrow: finds the escrow key by its alias, else by its tag (an earlier attempt may have created
    /// it and failed before the alias), else creates it with the tag, turns on its rotation and names it.
    /// </summary>
    public void Escrow(bool seal)
    {
        var escrowKey = Resources.EscrowKeyArn ?? AnyKey;
        Add("DescribeKey", escrowKey, "find the escrow key by its alias");
        if (seal && Resources.EscrowKeyArn is null)
        {
            Add("ListKeys", "*", "find an escrow key an interrupted run created, by its tag");
            Add("ListResourceTags", AnyKey, "read the keys' tags to find an escrow key an interrupted run created");
            Add("CreateKey", "*", "create the escrow key (the first import does)");
            Add("TagResource", AnyKey, "tag the escrow key so it is found again (CreateKey with Tags)");
            Add("EnableKeyRotation", AnyKey, "turn on yearly rotation of the escrow key");
            Add("CreateAlias", Resources.EscrowAliasArn, $"name the escrow key {Resources.EscrowAliasName} (checked on the alias)");
            Add("CreateAlias", AnyKey, "name the escrow key (checked on the escrow key)");
        }

        if (seal)
        {
            Add("GenerateDataKey", escrowKey, "seal the new material for escrow (a data key of the escrow key)");
        }

        Add("Decrypt", escrowKey, "open the escrowed material to wrap it for import");
    }

    /// <summary>One line per action and resource, with every reason it is needed; recovery-only when every reason is.</summary>
    internal IReadOnlyList<KmsPermission> Merged() =>
        _list
            .GroupBy(p => (p.Action, p.Resource))
            .Select(g => g.Count() == 1 ? g.First() : new KmsPermission(g.Key.Action, g.Key.Resource, string.Join("; ", g.Select(p => p.Reason).Distinct()),
                g.All(p => p.RecoveryOnly)))
            .ToList();
}
