using KmsConsole.LocalKms.Keys;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// What imported key material must be for each key spec (Developer Guide, "Requirements for imported key material"),
/// said in the IncorrectKeyMaterialException a mismatch gets. <see cref="KeyMaterial.Fits"/> is the check itself.
/// </summary>
public static class ImportedMaterialRules
{
    public static string Expected(string keySpec) => KeySpecs.FamilyOf(keySpec) switch
    {
        KeyFamily.Symmetric => "Key material for a SYMMETRIC_DEFAULT key must be 256 bits (32 bytes).",
        KeyFamily.Hmac => $"Key material for an {keySpec} key must be {KeySpecs.HmacKeyLength(keySpec).Min} to {KeySpecs.HmacKeyLength(keySpec).Max} bytes long.",
        KeyFamily.Rsa => $"Key material for an {keySpec} key must be a DER-encoded PKCS #8 {KeySpecs.RsaBits(keySpec)}-bit RSA private key.",
        KeyFamily.Ecc => $"Key material for an {keySpec} key must be a DER-encoded PKCS #8 private key on the {keySpec} curve.",
        _ => $"Key material for an {keySpec} key must be a DER-encoded PKCS #8 {keySpec} private key.",
    };
}
