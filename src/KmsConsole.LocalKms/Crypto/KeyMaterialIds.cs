using System.Security.Cryptography;
using System.Text;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// Key material ids: like KMS, a 64-hex-digit identifier computed from the KMS key id and the material,
/// so re-importing the same material yields the same id and different material never does.
/// </summary>
public static class KeyMaterialIds
{
    public static string Derive(string keyId, ReadOnlySpan<byte> material)
    {
        var mac = HMACSHA256.HashData(material, Encoding.UTF8.GetBytes("kms-key-material-id:" + keyId));
        return Convert.ToHexStringLower(mac);
    }
}
