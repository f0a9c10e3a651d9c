using System.Text.Json.Nodes;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>The KeyMetadata structure of DescribeKey and CreateKey.</summary>
public static class KeyMetadataJson
{
    public static JsonObject Build(KmsKey key, KeyRing ring)
    {
        var state = key.State;
        var metadata = new JsonObject
        {
            ["AWSAccountId"] = ring.AccountId,
            ["KeyId"] = key.KeyId,
            ["Arn"] = ring.KeyArn(key.KeyId),
            ["CreationDate"] = AwsJson.Timestamp(key.CreationDate),
            ["Enabled"] = state == KeyStates.Enabled,
            ["Description"] = key.Description,
            ["KeyUsage"] = key.KeyUsage,
            ["KeyState"] = state,
            ["Origin"] = key.Origin,
            ["KeyManager"] = key.KeyManager,
            ["CustomerMasterKeySpec"] = key.KeySpec,
            ["KeySpec"] = key.KeySpec,
            ["MultiRegion"] = key.MultiRegion,
        };
        AddAlgorithms(metadata, key);
        if (key.MultiRegion)
        {
            metadata["MultiRegionConfiguration"] = MultiRegionOperations.Configuration(key, ring);
        }

        if (key.DeletionDate is { } deletionDate)
        {
            metadata["DeletionDate"] = AwsJson.Timestamp(deletionDate);
            metadata["PendingDeletionWindowInDays"] = key.PendingWindowInDays;
        }

        var current = key.CurrentMaterial;
        if (key.IsExternal && current is not null && current.ImportState == ImportStates.Imported)
        {
            metadata["ExpirationModel"] = current.ExpirationModel;
            if (current.ValidTo is { } validTo)
            {
                metadata["ValidTo"] = AwsJson.Timestamp(validTo);
            }
        }

        if (key.IsSymmetric && current is not null)
        {
            metadata["CurrentKeyMaterialId"] = current.MaterialId;
        }

        return metadata;
    }

    /// <summary>
    /// The algorithm lists of the key's usage, as DescribeKey and GetPublicKey fill them: EncryptionAlgorithms for
    /// ENCRYPT_DECRYPT, SigningAlgorithms for SIGN_VERIFY, MacAlgorithms for GENERATE_VERIFY_MAC, KeyAgreementAlgorithms
    /// for KEY_AGREEMENT, EncapsulationAlgorithms for ENCAPSULATE_DECAPSULATE; the others are absent.
    /// </summary>
    public static void AddAlgorithms(JsonObject target, KmsKey key)
    {
        Add(target, "EncryptionAlgorithms", KeySpecs.EncryptionAlgorithms(key.KeySpec, key.KeyUsage));
        Add(target, "SigningAlgorithms", KeySpecs.SigningAlgorithms(key.KeySpec, key.KeyUsage));
        Add(target, "MacAlgorithms", KeySpecs.MacAlgorithms(key.KeySpec, key.KeyUsage));
        Add(target, "KeyAgreementAlgorithms", KeySpecs.KeyAgreementAlgorithms(key.KeyUsage));
        Add(target, "EncapsulationAlgorithms", KeySpecs.EncapsulationAlgorithms(key.KeyUsage));
    }

    private static void Add(JsonObject target, string member, IReadOnlyList<string> algorithms)
    {
        if (algorithms.Count > 0)
        {
            target[member] = new JsonArray([.. algorithms.Select(a => (JsonNode)a)]);
        }
    }
}
