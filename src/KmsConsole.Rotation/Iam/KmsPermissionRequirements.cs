namespace KmsConsole.Rotation.Iam;

/// <summary>One KMS action a workflow calls, on which resource, and why (shown next to the preflight answer).</summary>
public sealed record KmsPermission(string Action, string Resource, string Reason);

/// <summary>
/// What a run acts on. <see cref="KeyArn"/> is the key the run starts from; <see cref="AliasName"/> the alias it
/// moves (alias swap, roll back); <see cref="EscrowKeyArn"/> the key that envelopes escrowed imported material.
/// </summary>
public sealed record KmsRunResources(string Region, string AccountId, string KeyArn, string? AliasName = null, string? EscrowKeyArn = null)
{
    public string AliasArn => AliasName is null ? throw new InvalidOperationException("This workflow needs the alias it moves.")
        : KmsArns.Alias(Region, AccountId, AliasName);

    /// <summary>A key the run creates has no id yet; IAM can only be asked about "any key of the account".</summary>
    public string AnyKeyArn => KmsArns.AnyKey(Region, AccountId);
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
/// The KMS actions each workflow calls, per resource, following the "Required permissions" of each operation
/// in the KMS API reference. Notably kms:UpdateAlias is checked on the alias (IAM policy) and on both the
/// current and the new key (key policy), and kms:CreateAlias on the alias and on its key; with the default key
/// policy both key checks are delegated to IAM, so the principal's IAM policies must allow all three.
/// Workflows are named as <c>WorkflowKind</c>'s members (EnableAutomaticRotation, AliasSwapNewKey,
/// AliasSwapImportedKey, NewMaterialInPlace, ReimportBeforeExpiry, RollBack); pass <c>kind.ToString()</c>.
/// </summary>
public static class KmsPermissionRequirements
{
    public static IReadOnlyList<string> Workflows { get; } =
        ["EnableAutomaticRotation", "AliasSwapNewKey", "AliasSwapImportedKey", "NewMaterialInPlace", "ReimportBeforeExpiry", "RollBack"];

    /// <summary>Old key fates of the alias-swap workflows (names of <c>OldKeyFate</c>).</summary>
    public static IReadOnlyList<string> OldKeyFates { get; } = ["Keep", "Disable", "ScheduleDeletion", "DeleteImportedMaterial"];

    /// <summary>As <see cref="For(string, KmsRunResources, bool, string?)"/> for the orchestrator's enums (WorkflowKind, OldKeyFate).</summary>
    public static IReadOnlyList<KmsPermission> For<TWorkflow>(TWorkflow workflow, KmsRunResources resources, bool rotateNow = false, Enum? oldKeyFate = null)
        where TWorkflow : struct, Enum =>
        For(workflow.ToString(), resources, rotateNow, oldKeyFate?.ToString());

    /// <param name="workflow">A <c>WorkflowKind</c> name.</param>
    /// <param name="resources">The run's key, alias and escrow key.</param>
    /// <param name="rotateNow">EnableAutomaticRotation also calls RotateKeyOnDemand.</param>
    /// <param name="oldKeyFate">An <c>OldKeyFate</c> name for the alias swaps; null asks for every fate's permission.</param>
    public static IReadOnlyList<KmsPermission> For(string workflow, KmsRunResources resources, bool rotateNow = false, string? oldKeyFate = null)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var key = resources.KeyArn;
        var list = new List<KmsPermission>();
        void Add(string action, string resource, string reason) => list.Add(new KmsPermission("kms:" + action, resource, reason));
        bool Fate(string fate) => oldKeyFate is null || string.Equals(oldKeyFate, fate, StringComparison.OrdinalIgnoreCase);

        switch (workflow)
        {
            case "EnableAutomaticRotation":
                Add("DescribeKey", key, "read the key's origin, spec and state");
                Add("EnableKeyRotation", key, "turn on automatic rotation with the chosen period");
                Add("GetKeyRotationStatus", key, "verify rotation is on");
                if (rotateNow)
                {
                    Add("RotateKeyOnDemand", key, "rotate the key material now");
                }

                break;

            case "AliasSwapNewKey":
            case "AliasSwapImportedKey":
                var imported = workflow == "AliasSwapImportedKey";
                Add("DescribeKey", key, "read the old key to copy description, spec and usage");
                Add("GetKeyPolicy", key, "copy the old key's policy to the new key");
                Add("ListResourceTags", key, "copy the old key's tags to the new key");
                Add("CreateKey", "*", imported ? "create the new key with origin EXTERNAL" : "create the new key");
                Add("TagResource", resources.AnyKeyArn, "tag the new key with the run id (CreateKey with Tags)");
                Add("DescribeKey", resources.AnyKeyArn, "verify the new key");
                if (imported)
                {
                    Add("GetParametersForImport", resources.AnyKeyArn, "get the wrapping public key and import token");
                    Add("ImportKeyMaterial", resources.AnyKeyArn, "import the wrapped material");
                    if (resources.EscrowKeyArn is { } escrow)
                    {
                        Add("GenerateDataKey", escrow, "escrow the new material (a data key of the escrow key seals it)");
                    }
                }

                Add("ListAliases", "*", "find the alias's current key");
                Add("UpdateAlias", resources.AliasArn, "move the alias (checked on the alias)");
                Add("UpdateAlias", key, "move the alias away from the current key (checked on the current key)");
                Add("UpdateAlias", resources.AnyKeyArn, "move the alias to the new key (checked on the new key)");
                if (Fate("Disable"))
                {
                    Add("DisableKey", key, "disable the old key");
                }

                if (Fate("ScheduleDeletion"))
                {
                    Add("ScheduleKeyDeletion", key, "schedule the old key's deletion");
                }

                if (imported && Fate("DeleteImportedMaterial"))
                {
                    Add("DeleteImportedKeyMaterial", key, "delete the old key's imported material");
                }

                break;

            case "NewMaterialInPlace":
                Add("DescribeKey", key, "read the key's origin and material state");
                Add("GetParametersForImport", key, "get the wrapping public key and import token");
                Add("ImportKeyMaterial", key, "import NEW_KEY_MATERIAL into the key");
                Add("RotateKeyOnDemand", key, "make the new material current");
                Add("ListKeyRotations", key, "verify the rotation");
                if (resources.EscrowKeyArn is { } escrowNew)
                {
                    Add("GenerateDataKey", escrowNew, "escrow the new material (a data key of the escrow key seals it)");
                }

                break;

            case "ReimportBeforeExpiry":
                Add("DescribeKey", key, "read the material's ValidTo");
                Add("GetParametersForImport", key, "get the wrapping public key and import token");
                Add("ImportKeyMaterial", key, "re-import the same material with a later ValidTo");
                if (resources.EscrowKeyArn is { } escrowOld)
                {
                    Add("Decrypt", escrowOld, "unwrap the escrowed material");
                }

                break;

            case "RollBack":
                Add("DescribeKey", key, "read the previous key's state");
                Add("CancelKeyDeletion", key, "cancel a scheduled deletion of the previous key");
                Add("EnableKey", key, "re-enable the previous key");
                Add("DisableKeyRotation", key, "undo an enabled automatic rotation");
                if (resources.AliasName is not null)
                {
                    Add("UpdateAlias", resources.AliasArn, "move the alias back (checked on the alias)");
                    Add("UpdateAlias", resources.AnyKeyArn, "move the alias away from the run's new key (checked on that key)");
                    Add("UpdateAlias", key, "move the alias back to the previous key (checked on that key)");
                }

                break;

            default:
                throw new ArgumentException($"Unknown workflow '{workflow}'. Known: {string.Join(", ", Workflows)}.", nameof(workflow));
        }

        return list;
    }
}
