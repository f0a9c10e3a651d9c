using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// What each key state refuses, after the key state table of the AWS KMS Developer Guide ("Key states of AWS KMS keys"):
/// a Disabled key refuses cryptographic use with DisabledException ("&lt;ARN&gt; is disabled."), keys pending deletion or
/// import refuse it with KMSInvalidStateException ("is pending deletion." / "is pending import."), management changes
/// are refused while deletion is pending, and CancelKeyDeletion only works on a key pending deletion ("is not pending deletion.").
/// Origin checks (UnsupportedOperationException for operations that do not fit the key's origin) come before these.
/// </summary>
public static class KeyStateRules
{
    public enum Effect { Allowed, DisabledException, InvalidState }

    private sealed record Rule(Effect Disabled, Effect PendingDeletion, Effect PendingImport);

    private static readonly Rule Cryptographic = new(Effect.DisabledException, Effect.InvalidState, Effect.InvalidState);
    private static readonly Rule Anywhere = new(Effect.Allowed, Effect.Allowed, Effect.Allowed);
    private static readonly Rule NotPendingDeletion = new(Effect.Allowed, Effect.InvalidState, Effect.Allowed);

    private static readonly Dictionary<string, Rule> Rules = new(StringComparer.Ordinal)
    {
        ["Encrypt"] = Cryptographic,
        ["Decrypt"] = Cryptographic,
        ["ReEncrypt"] = Cryptographic,
        ["GenerateDataKey"] = Cryptographic,
        ["GenerateDataKeyWithoutPlaintext"] = Cryptographic,
        ["GenerateDataKeyPair"] = Cryptographic,
        ["GenerateDataKeyPairWithoutPlaintext"] = Cryptographic,
        ["Sign"] = Cryptographic,
        ["Verify"] = Cryptographic,
        ["GetPublicKey"] = Cryptographic,
        ["GenerateMac"] = Cryptographic,
        ["VerifyMac"] = Cryptographic,
        ["DeriveSharedSecret"] = Cryptographic,
        ["Encapsulate"] = Cryptographic,
        ["Decapsulate"] = Cryptographic,
        ["DescribeKey"] = Anywhere,
        ["CreateGrant"] = Cryptographic,
        ["ReplicateKey"] = NotPendingDeletion,
        ["UpdatePrimaryRegion"] = NotPendingDeletion,
        ["GetKeyPolicy"] = Anywhere,
        ["ListKeyPolicies"] = Anywhere,
        ["ListResourceTags"] = Anywhere,
        ["ListAliases"] = Anywhere,
        ["DeleteAlias"] = Anywhere,
        ["PutKeyPolicy"] = Anywhere,
        ["GetKeyRotationStatus"] = Anywhere,
        ["ListKeyRotations"] = Anywhere,
        ["CreateAlias"] = NotPendingDeletion,
        ["UpdateAlias"] = NotPendingDeletion,
        ["UpdateKeyDescription"] = NotPendingDeletion,
        ["TagResource"] = NotPendingDeletion,
        ["UntagResource"] = NotPendingDeletion,
        ["ScheduleKeyDeletion"] = NotPendingDeletion,
        ["GetParametersForImport"] = NotPendingDeletion,
        ["ImportKeyMaterial"] = NotPendingDeletion,
        // The API reference: "When the specified KMS key is in the PendingDeletion state, this operation does not change the KMS key's state."
        ["DeleteImportedKeyMaterial"] = Anywhere,
        ["EnableKey"] = new(Effect.Allowed, Effect.InvalidState, Effect.InvalidState),
        ["DisableKey"] = new(Effect.Allowed, Effect.InvalidState, Effect.InvalidState),
        ["EnableKeyRotation"] = new(Effect.DisabledException, Effect.InvalidState, Effect.InvalidState),
        ["DisableKeyRotation"] = new(Effect.DisabledException, Effect.InvalidState, Effect.InvalidState),
        ["RotateKeyOnDemand"] = new(Effect.DisabledException, Effect.InvalidState, Effect.InvalidState),
        ["CancelKeyDeletion"] = new(Effect.InvalidState, Effect.Allowed, Effect.InvalidState),
    };

    public static void Require(KmsKey key, string operation, string keyArn)
    {
        AwsManagedKeys.Require(key, operation, keyArn);
        var rule = Rules[operation];
        var state = key.State;
        var effect = state switch
        {
            KeyStates.Disabled => rule.Disabled,
            KeyStates.PendingDeletion => rule.PendingDeletion,
            KeyStates.PendingImport => rule.PendingImport,
            _ => operation == "CancelKeyDeletion" ? Effect.InvalidState : Effect.Allowed,
        };

        switch (effect)
        {
            case Effect.DisabledException:
                throw KmsErrors.Disabled($"{keyArn} is disabled.");
            case Effect.InvalidState:
                throw KmsErrors.InvalidState(operation == "CancelKeyDeletion" ? $"{keyArn} is not pending deletion." : state switch
                {
                    KeyStates.PendingDeletion => $"{keyArn} is pending deletion.",
                    KeyStates.PendingImport => $"{keyArn} is pending import.",
                    _ => $"{keyArn} is {state.ToLowerInvariant()}.",
                });
        }
    }
}
