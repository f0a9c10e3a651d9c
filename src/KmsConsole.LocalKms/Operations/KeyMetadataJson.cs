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
            ["KeyManager"] = "CUSTOMER",
            ["CustomerMasterKeySpec"] = key.KeySpec,
            ["KeySpec"] = key.KeySpec,
            ["EncryptionAlgorithms"] = key.IsSymmetric
                ? new JsonArray("SYMMETRIC_DEFAULT")
                : new JsonArray("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"),
            ["MultiRegion"] = false,
        };

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
}
