using System.Security.Cryptography;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Operations;

namespace KmsConsole.LocalKms.Seeding;

/// <summary>
/// The world of the "Rotating AWS KMS CMKs" workshop: alias/FirstCMK on a key with KMS-generated material,
/// alias/ImportedCMK on a key of origin EXTERNAL whose material was imported and does not expire.
/// </summary>
public static class WorkshopSeed
{
    public const string FirstCmkAlias = "alias/FirstCMK";
    public const string ImportedCmkAlias = "alias/ImportedCMK";

    public static void Plant(KeyRing ring, DateTimeOffset now)
    {
        var first = NewKey(ring, now, KeyOrigins.AwsKms, "FirstCMK: KMS workshop key with AWS key material");
        var firstSecret = RandomNumberGenerator.GetBytes(32);
        first.Materials.Add(new KeyMaterialVersion
        {
            MaterialId = KeyMaterialIds.Derive(first.KeyId, firstSecret),
            CreatedAt = now,
            State = KeyMaterialStates.Current,
            Secret = firstSecret,
        });
        ring.Add(first);
        ring.SaveAlias(new KmsAlias { AliasName = FirstCmkAlias, TargetKeyId = first.KeyId, CreationDate = now, LastUpdatedDate = now });

        var imported = NewKey(ring, now, KeyOrigins.External, "ImportedCMK: KMS workshop key with imported key material");
        var importedSecret = RandomNumberGenerator.GetBytes(32);
        imported.Materials.Add(new KeyMaterialVersion
        {
            MaterialId = KeyMaterialIds.Derive(imported.KeyId, importedSecret),
            CreatedAt = now,
            State = KeyMaterialStates.Current,
            ImportState = ImportStates.Imported,
            ExpirationModel = ExpirationModels.DoesNotExpire,
            Secret = importedSecret,
        });
        ring.Add(imported);
        ring.SaveAlias(new KmsAlias { AliasName = ImportedCmkAlias, TargetKeyId = imported.KeyId, CreationDate = now, LastUpdatedDate = now });
    }

    private static KmsKey NewKey(KeyRing ring, DateTimeOffset now, string origin, string description) => new()
    {
        KeyId = Guid.NewGuid().ToString(),
        CreationDate = now,
        Description = description,
        KeyUsage = KeyUsages.EncryptDecrypt,
        KeySpec = KeySpecs.SymmetricDefault,
        Origin = origin,
        Policy = PolicyOperations.DefaultPolicy(ring.AccountId),
    };
}
