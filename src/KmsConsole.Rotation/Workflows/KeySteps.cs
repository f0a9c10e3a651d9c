using System.Globalization;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using KmsConsole.Rotation.Runs;

namespace KmsConsole.Rotation.Workflows;

// Steps shared by the workflows. Each one checks whether its effect is already in KMS before acting, so a
// run resumed after a crash never repeats an effect (no second key, no second rotation).

/// <summary>Workflow 1: EnableKeyRotation with the chosen period.</summary>
internal sealed class EnableRotationStep(IAmazonKeyManagementService kms) : WorkflowStep
{
    public override string Key => StepKey.EnableRotation;
    public override string Name => "Enable automatic rotation";
    public override string Description => "EnableKeyRotation with the chosen rotation period.";

    public override async Task<StepResult?> FindDoneAsync(StepContext context)
    {
        var status = await KmsKeys.ReadAsync(() => kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = context.Run.KeyId }, context.CancellationToken), context.CancellationToken);
        var period = context.Parameters.RotationPeriodInDays ?? 365;
        return status.KeyRotationEnabled == true && (status.RotationPeriodInDays ?? 365) == period
            ? new StepResult($"Automatic rotation is on, every {period} days", status.RequestId())
            : null;
    }

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var period = context.Parameters.RotationPeriodInDays ?? 365;
        var response = await kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = context.Run.KeyId, RotationPeriodInDays = period },
            context.CancellationToken);
        return new StepResult($"Automatic rotation enabled, every {period} days", response.RequestId());
    }
}

internal sealed class VerifyRotationStatusStep(IAmazonKeyManagementService kms) : WorkflowStep
{
    public override string Key => StepKey.VerifyRotationStatus;
    public override string Name => "Verify the rotation status";
    public override string Description => "GetKeyRotationStatus shows rotation on with the chosen period.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var status = await KmsKeys.ReadAsync(() => kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = context.Run.KeyId }, context.CancellationToken), context.CancellationToken);
        var period = context.Parameters.RotationPeriodInDays ?? 365;
        if (status.KeyRotationEnabled != true || (status.RotationPeriodInDays ?? 365) != period)
        {
            throw new StepCheckFailedException($"GetKeyRotationStatus of {context.Run.KeyId} shows rotation {(status.KeyRotationEnabled == true ? "on" : "off")} " +
                $"with period {status.RotationPeriodInDays}, not on with {period} days.", status.RequestId());
        }

        return new StepResult($"Rotation on, every {status.RotationPeriodInDays} days, next {status.NextRotationDate:u}", status.RequestId());
    }
}

/// <summary>RotateKeyOnDemand, once: the count of on-demand rotations before the call is saved first.</summary>
internal sealed class RotateOnDemandStep(IAmazonKeyManagementService kms, string keyValueName = "RotationsBefore") : WorkflowStep
{
    public override string Key => StepKey.RotateNow;
    public override string Name => "Rotate now";
    public override string Description => "RotateKeyOnDemand: new key material now; older material keeps decrypting.";

    public override async Task<StepResult?> FindDoneAsync(StepContext context)
    {
        if (context.Get(keyValueName) is not { } before)
        {
            return null;
        }

        var rotations = await KmsKeys.RotationsAsync(kms, context.Run.KeyId, includeMaterial: false, context.CancellationToken);
        var onDemand = rotations.Count(r => r.RotationType == RotationType.ON_DEMAND);
        return onDemand > int.Parse(before, CultureInfo.InvariantCulture)
            ? new StepResult($"Rotated on demand ({onDemand} on-demand rotations)")
            : null;
    }

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var rotations = await KmsKeys.RotationsAsync(kms, context.Run.KeyId, includeMaterial: false, context.CancellationToken);
        context.Set(keyValueName, rotations.Count(r => r.RotationType == RotationType.ON_DEMAND).ToString(CultureInfo.InvariantCulture));
        await context.CheckpointAsync();
        var response = await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = context.Run.KeyId }, context.CancellationToken);
        return new StepResult("Rotation on demand started", response.RequestId());
    }
}

internal sealed class RoundTripStep(IAmazonKeyManagementService kms, string keyValueName, string name) : WorkflowStep
{
    public override string Key => StepKey.RoundTrip;
    public override string Name => name;
    public override string Description => "Encrypt and decrypt a probe under the key.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var keyId = RunValues.KeyOf(context, keyValueName);
        var requestId = await KmsKeys.RoundTripAsync(kms, keyId, context.CancellationToken);
        return new StepResult($"Encrypt/decrypt round trip under {keyId} succeeded", requestId);
    }
}

/// <summary>Encrypts a sample under the current key so later steps can show old data still decrypts.</summary>
internal sealed class EncryptSampleStep(IAmazonKeyManagementService kms) : WorkflowStep
{
    public override string Key => StepKey.EncryptSample;
    public const string SampleValue = "SampleCiphertext";
    public const string SamplePlaintext = "kmsconsole sample encrypted before the rotation";

    public override string Name => "Encrypt a sample under the current key";
    public override string Description => "Encrypt a sample, to show after the change that data encrypted before it still decrypts.";

    public override Task<StepResult?> FindDoneAsync(StepContext context) =>
        Task.FromResult(context.Get(SampleValue) is null ? null : new StepResult("Sample already encrypted"));

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var response = await kms.EncryptAsync(new EncryptRequest
        {
            KeyId = context.Run.KeyId,
            Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(SamplePlaintext)),
        }, context.CancellationToken);
        context.Set(SampleValue, Convert.ToBase64String(response.CiphertextBlob.ToArray()));
        context.Set(CreateKeyStep.MarkerInUseValue, "true");
        return new StepResult($"Sample encrypted under {response.KeyId}", response.RequestId());
    }

    public static async Task<string?> DecryptSampleAsync(IAmazonKeyManagementService kms, StepContext context)
    {
        var decrypted = await kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = new MemoryStream(Convert.FromBase64String(context.Require(SampleValue))),
        }, context.CancellationToken);
        if (Encoding.UTF8.GetString(decrypted.Plaintext.ToArray()) != SamplePlaintext)
        {
            throw new StepCheckFailedException("The sample encrypted before the change no longer decrypts to itself.", decrypted.RequestId());
        }

        return decrypted.RequestId();
    }
}

/// <summary>
/// CreateKey for the alias swaps, copying description, spec, usage, policy and tags of the old key and
/// tagging the new key with the run id in the same call, so a crash after CreateKey returns cannot orphan it.
/// Before the call the run saves <see cref="CreateKeyAttemptedValue"/>; only a run that holds it and no new key id
/// (CreateKey's answer lost to a crash or a dropped connection) looks for its key by tag, which reads the tags of
/// every key of the account. Without the marker, CreateKey was never called, so there is nothing to find.
/// </summary>
internal sealed class CreateKeyStep(IAmazonKeyManagementService kms, bool external) : WorkflowStep
{
    public override string Key => StepKey.CreateKey;
    public const string NewKeyValue = "NewKeyId";
    public const string CreateKeyAttemptedValue = "CreateKeyAttemptedAt";

    /// <summary>
    /// Set by the sample step that precedes this one in both alias swaps. A run without it was begun by a version
    /// that called CreateKey without saving <see cref="CreateKeyAttemptedValue"/> (it may have stopped mid-call at an
    /// upgrade), so it searches by tag as that version did.
    /// </summary>
    public const string MarkerInUseValue = "CreateKeyMarkerInUse";

    /// <summary>How long after a CreateKey of unknown outcome the tag search waits, so the listings include the key.</summary>
    internal static readonly TimeSpan ListingSettleTime = TimeSpan.FromSeconds(5);

    public override string Name => external ? "Create the new EXTERNAL key" : "Create the new key";
    public override string Description => (external ? "CreateKey with Origin=EXTERNAL" : "CreateKey") +
        $", copying description, spec, usage, key policy and tags, tagged {KmsKeys.RunIdTag}=<run id>.";

    public override async Task<StepResult?> FindDoneAsync(StepContext context)
    {
        if (context.Get(NewKeyValue) is { } recorded)
        {
            Remember(context, recorded);
            return new StepResult($"New key {recorded}");
        }

        if (context.Get(CreateKeyAttemptedValue) is null && context.Get(MarkerInUseValue) is not null)
        {
            return null;
        }

        // ListKeys and ListResourceTags are eventually consistent: a key created a moment ago may not be listed yet.
        if (DateTimeOffset.TryParse(context.Get(CreateKeyAttemptedValue), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var attempted)
            && attempted + ListingSettleTime - context.Time.GetUtcNow() is { Ticks: > 0 } settle)
        {
            await Task.Delay(settle < ListingSettleTime ? settle : ListingSettleTime, context.Time, context.CancellationToken);
        }

        var existing = await KmsKeys.FindKeyCreatedByRunAsync(kms, context.Run.Id, context.CancellationToken);
        if (existing is null)
        {
            return null;
        }

        Remember(context, existing.KeyId);
        return new StepResult($"New key {existing.KeyId} (found by its {KmsKeys.RunIdTag} tag after CreateKey's answer was lost)");
    }

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var old = (await KmsKeys.DescribeAsync(kms, context.Run.KeyId, context.CancellationToken)).KeyMetadata;
        var policy = await KmsKeys.ReadAsync(() => kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = old.KeyId, PolicyName = "default" }, context.CancellationToken), context.CancellationToken);
        var tags = (await KmsKeys.ListTagsAsync(kms, old.KeyId, context.CancellationToken))
            .Where(t => !t.TagKey.StartsWith("kmsconsole:", StringComparison.Ordinal))
            .Append(new Tag { TagKey = KmsKeys.RunIdTag, TagValue = context.Run.Id.ToString() })
            .ToList();
        var request = new CreateKeyRequest
        {
            Description = old.Description,
            KeySpec = old.KeySpec,
            KeyUsage = old.KeyUsage,
            Policy = policy.Policy,
            Tags = tags,
        };
        if (external)
        {
            request.Origin = OriginType.EXTERNAL;
        }
        else if (Safety.ReplicaRegions.Of(old).Count > 0 || old.MultiRegion == true && old.MultiRegionConfiguration?.MultiRegionKeyType == MultiRegionKeyType.PRIMARY)
        {
            // A multi-Region primary's successor is multi-Region too, so it can be replicated where the old key was.
            request.MultiRegion = true;
        }

        // Saved before the call: from here on a key may exist that only its tag can name.
        context.Set(CreateKeyAttemptedValue, context.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        await context.CheckpointAsync();
        CreateKeyResponse created;
        try
        {
            created = await kms.CreateKeyAsync(request, context.CancellationToken);
        }
        catch (AmazonServiceException e) when ((int)e.StatusCode is >= 400 and < 500)
        {
            // KMS answered and refused (throttling, a quota, a bad policy): no key exists, so a retry need not search.
            context.Remove(CreateKeyAttemptedValue);
            await context.CheckpointAsync();
            throw;
        }

        Remember(context, created.KeyMetadata.KeyId);
        return new StepResult($"New key {created.KeyMetadata.KeyId}", created.RequestId());
    }

    private static void Remember(StepContext context, string keyId)
    {
        context.Set(NewKeyValue, keyId);
        context.Run.NewKeyId = keyId;
    }
}

internal sealed class VerifyNewKeyStep(IAmazonKeyManagementService kms) : WorkflowStep
{
    public override string Key => StepKey.VerifyNewKey;
    public override string Name => "Verify the new key";
    public override string Description => "DescribeKey shows the new key Enabled; an encrypt/decrypt round trip works.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var keyId = context.Require(CreateKeyStep.NewKeyValue);
        var metadata = (await KmsKeys.DescribeAsync(kms, keyId, context.CancellationToken)).KeyMetadata;
        if (metadata.KeyState != KeyState.Enabled)
        {
            throw new StepCheckFailedException($"The new key {keyId} is {metadata.KeyState}, not Enabled.");
        }

        var requestId = await KmsKeys.RoundTripAsync(kms, keyId, context.CancellationToken);
        return new StepResult($"New key {keyId} is Enabled ({metadata.KeySpec}, {metadata.Origin}); round trip succeeded", requestId);
    }
}

/// <summary>UpdateAlias to the new key (or back to the previous one when rolling back).</summary>
internal sealed class PointAliasStep(IAmazonKeyManagementService kms, string targetValueName, string key, string name) : WorkflowStep
{
    public override string Key => key;
    public override string Name => name;
    public override string Description => "UpdateAlias so the alias resolves to the " + (targetValueName == CreateKeyStep.NewKeyValue ? "new key." : "previous key.");

    public override async Task<StepResult?> FindDoneAsync(StepContext context)
    {
        var target = RunValues.KeyOf(context, targetValueName);
        var resolved = (await KmsKeys.DescribeAsync(kms, context.Run.AliasName!, context.CancellationToken)).KeyMetadata;
        if (resolved.KeyId != target)
        {
            return null;
        }

        NoteMoved(context);
        return new StepResult($"{context.Run.AliasName} points at {target}");
    }

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var target = RunValues.KeyOf(context, targetValueName);
        var response = await kms.UpdateAliasAsync(new UpdateAliasRequest { AliasName = context.Run.AliasName, TargetKeyId = target }, context.CancellationToken);
        NoteMoved(context);
        return new StepResult($"{context.Run.AliasName} now points at {target}", response.RequestId());
    }

    /// <summary>When the alias moved: the fate gate's cut-off for "the old key was used after the alias moved" (the first record wins).</summary>
    private static void NoteMoved(StepContext context)
    {
        if (context.Get(Safety.HazardGate.AliasMovedValue) is null)
        {
            context.Set(Safety.HazardGate.AliasMovedValue, context.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        }
    }
}

internal sealed class VerifyAliasStep(IAmazonKeyManagementService kms, string targetValueName, bool checkSample) : WorkflowStep
{
    public override string Key => StepKey.VerifyAlias;
    public override string Name => checkSample ? "Verify the alias and the old data" : "Verify the alias";
    public override string Description => checkSample
        ? "The alias resolves to the new key, and the sample encrypted under the old key still decrypts."
        : "The alias resolves to the previous key.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var target = RunValues.KeyOf(context, targetValueName);
        var resolved = await KmsKeys.DescribeAsync(kms, context.Run.AliasName!, context.CancellationToken);
        if (resolved.KeyMetadata.KeyId != target)
        {
            throw new StepCheckFailedException($"{context.Run.AliasName} resolves to {resolved.KeyMetadata.KeyId}, not {target}.", resolved.RequestId());
        }

        var requestId = checkSample ? await EncryptSampleStep.DecryptSampleAsync(kms, context) : resolved.RequestId();
        var roundTrip = await KmsKeys.RoundTripAsync(kms, context.Run.AliasName!, context.CancellationToken);
        return new StepResult(checkSample
            ? $"{context.Run.AliasName} resolves to {target}; data encrypted under the old key still decrypts"
            : $"{context.Run.AliasName} resolves to {target}", requestId ?? roundTrip);
    }
}

/// <summary>
/// The old key's fate after an alias swap: disable, schedule deletion, or delete imported material. A multi-Region
/// primary's replicas get the same fate in their Regions (<see cref="Safety.OldKeyReplicas"/>), so no replica is orphaned.
/// </summary>
internal sealed class OldKeyFateStep(IAmazonKeyManagementService kms, OldKeyFate fate, int? pendingWindowInDays, string key = StepKey.OldKeyFate,
    Func<string, IAmazonKeyManagementService>? inRegion = null) : WorkflowStep
{
    private readonly Safety.OldKeyReplicas _replicas = new(kms, inRegion);

    public override string Key => key;
    public override string Name => fate switch
    {
        OldKeyFate.Disable => "Disable the old key",
        OldKeyFate.ScheduleDeletion => "Schedule deletion of the old key",
        OldKeyFate.DeleteImportedMaterial => "Delete the old key's imported material",
        _ => "Keep the old key",
    };

    public override string Description => fate switch
    {
        OldKeyFate.Disable => "DisableKey on the old key (and on each of its replicas, in their Regions, for a multi-Region key).",
        OldKeyFate.ScheduleDeletion => $"ScheduleKeyDeletion of the old key, {pendingWindowInDays ?? 30} days waiting period " +
                                       "(its replicas first, for a multi-Region key: the primary's waiting period begins when its last replica is deleted).",
        OldKeyFate.DeleteImportedMaterial => "DeleteImportedKeyMaterial on the old key (it becomes PendingImport).",
        _ => "The old key stays enabled.",
    };

    public override async Task<StepResult?> FindDoneAsync(StepContext context)
    {
        var old = (await KmsKeys.DescribeAsync(kms, context.Run.KeyId, context.CancellationToken)).KeyMetadata;
        var done = fate switch
        {
            OldKeyFate.Disable => old.KeyState == KeyState.Disabled,
            OldKeyFate.ScheduleDeletion => Safety.OldKeyReplicas.IsPendingDeletion(old.KeyState),
            OldKeyFate.DeleteImportedMaterial => old.KeyState == KeyState.PendingImport,
            _ => true,
        };
        if (!done || fate is OldKeyFate.Keep or OldKeyFate.DeleteImportedMaterial)
        {
            return done ? new StepResult($"Old key {context.Run.KeyId} is {old.KeyState}") : null;
        }

        var replicas = await _replicas.ReadAsync(old, context.CancellationToken);
        return replicas.All(r => Safety.OldKeyReplicas.Has(r.State, fate))
            ? new StepResult($"Old key {context.Run.KeyId} is {old.KeyState}" + string.Concat(replicas.Select(r => $"; in {r.Region} {r.State}")))
            : null;
    }

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var keyId = context.Run.KeyId;
        if (fate is OldKeyFate.Keep)
        {
            return new StepResult($"Old key {keyId} kept");
        }

        if (fate is OldKeyFate.DeleteImportedMaterial)
        {
            return new StepResult($"Imported material of old key {keyId} deleted",
                (await kms.DeleteImportedKeyMaterialAsync(new DeleteImportedKeyMaterialRequest { KeyId = keyId }, context.CancellationToken)).RequestId());
        }

        // The replicas first: a step interrupted between them and the primary finds the primary still to do when it resumes.
        var old = (await KmsKeys.DescribeAsync(kms, keyId, context.CancellationToken)).KeyMetadata;
        var replicas = await Safety.OldKeyReplicas.ApplyAsync(await _replicas.ReadAsync(old, context.CancellationToken), fate, pendingWindowInDays,
            context.CancellationToken);
        if (Safety.OldKeyReplicas.Has(old.KeyState, fate))
        {
            return new StepResult($"Old key {keyId} is already {old.KeyState}{replicas.Sentence}", replicas.RequestId);
        }

        if (fate is OldKeyFate.Disable)
        {
            return new StepResult($"Old key {keyId} disabled{replicas.Sentence}",
                (await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId }, context.CancellationToken)).RequestId());
        }

        var scheduled = await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = pendingWindowInDays ?? 30 },
            context.CancellationToken);

        // AWS gives no DeletionDate for a primary with replicas: its waiting period starts when its last replica is deleted.
        var when = scheduled.DeletionDate is { } date ? $"on {date:u}"
            : $"({scheduled.KeyState}: its {scheduled.PendingWindowInDays ?? pendingWindowInDays ?? 30}-day waiting period begins when its last replica is deleted)";
        return new StepResult($"Old key {keyId} scheduled for deletion {when}{replicas.Sentence}", scheduled.RequestId());
    }
}

/// <summary>Roll back: the previous key must still be usable before the alias moves back to it.</summary>
internal sealed class PreviousKeyUsableStep(IAmazonKeyManagementService kms) : WorkflowStep
{
    public override string Key => StepKey.PreviousKeyUsable;
    public override string Name => "Check the previous key is usable";
    public override string Description => "DescribeKey shows the previous key Enabled.";

    public override async Task<StepResult> ExecuteAsync(StepContext context)
    {
        var metadata = await KmsKeys.DescribeAsync(kms, context.Run.KeyId, context.CancellationToken);
        if (metadata.KeyMetadata.KeyState != KeyState.Enabled)
        {
            throw new StepCheckFailedException($"The previous key {context.Run.KeyId} is {metadata.KeyMetadata.KeyState}; the alias can only go back to an Enabled key.",
                metadata.RequestId());
        }

        return new StepResult($"Previous key {context.Run.KeyId} is Enabled", metadata.RequestId());
    }
}
