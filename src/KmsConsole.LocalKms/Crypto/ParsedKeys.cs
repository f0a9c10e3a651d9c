using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// Private keys parsed once per key material instead of on every Sign, Verify, RSA Decrypt or ECDH: parsing a PKCS#8
/// key costs about ten times the signature itself. Entries hang off the material's secret array, so material that is
/// replaced or collected takes its parsed key with it; <see cref="Forget"/> drops it at once when material is deleted.
/// Callers use them under the key ring's gate, one at a time.
/// </summary>
public static class ParsedKeys
{
    private static readonly ConditionalWeakTable<byte[], object> Cache = new();

    public static RSA Rsa(byte[] privateKeyPkcs8) => (RSA)Cache.GetValue(privateKeyPkcs8, pkcs8 =>
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return rsa;
    });

    public static ECDsa Ecdsa(byte[] privateKeyPkcs8) => (ECDsa)Cache.GetValue(privateKeyPkcs8, pkcs8 =>
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return ecdsa;
    });

    public static ECDiffieHellman Ecdh(byte[] privateKeyPkcs8) => (ECDiffieHellman)Cache.GetValue(privateKeyPkcs8, pkcs8 =>
    {
        var ecdh = ECDiffieHellman.Create();
        ecdh.ImportPkcs8PrivateKey(pkcs8, out _);
        return ecdh;
    });

    public static Org.BouncyCastle.Crypto.AsymmetricKeyParameter BouncyCastle(byte[] privateKeyPkcs8) =>
        (Org.BouncyCastle.Crypto.AsymmetricKeyParameter)Cache.GetValue(privateKeyPkcs8, KeyMaterial.BouncyCastlePrivateKey);

    /// <summary>Drops (and disposes) the parsed key of material that is being deleted.</summary>
    public static void Forget(byte[] secret)
    {
        if (Cache.TryGetValue(secret, out var parsed))
        {
            Cache.Remove(secret);
            (parsed as IDisposable)?.Dispose();
        }
    }
}
