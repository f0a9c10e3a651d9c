using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Escrow;

namespace KmsConsole.Rotation.Workflows;

/// <summary>
/// One request as the preflight judges it: the key as KMS describes it now, the alias, the parameters, and what the
/// checks found — refusals for the user and notes per step key on the key's current state. A workflow's definition
/// adds its own refusals and notes here; the checks several workflows share are its methods.
/// </summary>
internal sealed class RequestCheck(RotationRequest request, KeyMetadata metadata, IAmazonKeyManagementService kms, MaterialEscrow escrow,
    DateTimeOffset now, CancellationToken cancellationToken)
{
    private readonly List<RequestRefusal> _refusals = [];
    private readonly Dictionary<string, string> _notes = [];

    public string Target => request.Target;

    /// <summary>The key as the request named it (id, ARN or alias), for messages.</summary>
    public string Name => request.KeyIdOrAlias;

    public KeyMetadata Metadata { get; } = metadata;
    /// <summary>The alias the run moves or was requested by; null when it has none.</summary>
    public string? Alias { get; set; }
    public RotationParameters Parameters => request.Parameters;
    public IAmazonKeyManagementService Kms { get; } = kms;
    public MaterialEscrow Escrow { get; } = escrow;
    public DateTimeOffset Now { get; } = now;
    public CancellationToken CancellationToken { get; } = cancellationToken;

    public bool IsExternal => Metadata.Origin == OriginType.EXTERNAL;
    public bool IsSymmetric => Metadata.KeySpec == KeySpec.SYMMETRIC_DEFAULT;

    /// <summary>The key's state can be described per step: a symmetric key, not pending deletion.</summary>
    public bool StateReadable => IsSymmetric && Metadata.KeyState is { } state && state != KeyState.PendingDeletion;

    /// <summary>The hazard check of the alias swaps (set by the preflight).</summary>
    public Safety.HazardCheck? Safety { get; init; }

    /// <summary>What the request's destructive steps would break, found by the workflow (shown on the request preview).</summary>
    public List<Safety.Hazard> Hazards { get; } = [];

    public IReadOnlyList<RequestRefusal> Refusals => _refusals;
    public IReadOnlyDictionary<string, string> Notes => _notes;

    /// <param name="field">The parameter at fault, when the refusal is about one.</param>
    public void Refuse(string reason, string? field = null) => _refusals.Add(new RequestRefusal(reason, field));

    /// <summary>Notes the key's current state against a step; a second note on the same step is appended.</summary>
    public void Note(string stepKey, string text) => _notes[stepKey] = _notes.TryGetValue(stepKey, out var known) ? known + " " + text : text;

    public void RequireEnabled()
    {
        if (Metadata.KeyState != KeyState.Enabled && Metadata.KeyState != KeyState.PendingDeletion)
        {
            Refuse($"{Name} is {Metadata.KeyState}; this workflow needs an Enabled key.");
        }
    }

    public void CheckFate()
    {
        var p = Parameters;
        if (p.OldKeyFate == OldKeyFate.DeleteImportedMaterial && !IsExternal)
        {
            Refuse("Only a key with imported material (EXTERNAL) can have its material deleted (DeleteImportedKeyMaterial).", nameof(RotationParameters.OldKeyFate));
        }

        if (p.OldKeyFate is OldKeyFate.ScheduleDeletion or OldKeyFate.StagedRetirement && p.PendingWindowInDays is { } days && !WorkflowBounds.PendingWindow.Contains(days))
        {
            Refuse(WorkflowBounds.PendingWindow.Refusal(days), nameof(RotationParameters.PendingWindowInDays));
        }
    }

    public void CheckImport()
    {
        var p = Parameters;
        if (!WorkflowBounds.WrappingAlgorithms.Contains(p.WrappingAlgorithm))
        {
            Refuse($"Wrapping algorithm {p.WrappingAlgorithm} is not offered; choose RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.", nameof(RotationParameters.WrappingAlgorithm));
        }

        if (p.ExpirationModel == RotationParameters.KeyMaterialExpires)
        {
            if (p.ValidTo is not { } validTo)
            {
                Refuse("Expiring key material needs a ValidTo date (ImportKeyMaterial).", nameof(RotationParameters.ValidTo));
            }
            else if (validTo <= Now || validTo > Now.AddDays(WorkflowBounds.MaxValidToDays))
            {
                Refuse($"ValidTo must be in the future and at most {WorkflowBounds.MaxValidToDays} days from now (ImportKeyMaterial); {validTo:u} was asked.",
                    nameof(RotationParameters.ValidTo));
            }
        }
        else if (p.ExpirationModel != RotationParameters.KeyMaterialDoesNotExpire)
        {
            Refuse($"Expiration model {p.ExpirationModel} is not KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE.", nameof(RotationParameters.ExpirationModel));
        }
        else if (p.ValidTo is not null)
        {
            Refuse("ValidTo is only valid with KEY_MATERIAL_EXPIRES (ImportKeyMaterial).", nameof(RotationParameters.ValidTo));
        }
    }

    /// <summary>How many of the on-demand rotations KMS allows are used; refuses when none is left (RotateKeyOnDemand).</summary>
    public async Task NoteOnDemandRotationsAsync()
    {
        if (!StateReadable || Metadata.KeyState == KeyState.PendingImport)
        {
            return;
        }

        var rotations = await KmsKeys.RotationsAsync(Kms, Metadata.KeyId, includeMaterial: false, CancellationToken);
        var onDemand = rotations.Count(r => r.RotationType == RotationType.ON_DEMAND);
        const int most = WorkflowBounds.MaxOnDemandRotations;
        Note(StepKey.RotateNow, $"{onDemand} of the {most} on-demand rotations KMS allows per key are used.");
        if (onDemand >= most)
        {
            Refuse($"{Metadata.KeyId} has had {most} on-demand rotations, the most KMS allows per key (RotateKeyOnDemand).");
        }
    }
}

/// <summary>One reason a request is refused, with the parameter at fault when there is one.</summary>
internal sealed record RequestRefusal(string Reason, string? Field);
