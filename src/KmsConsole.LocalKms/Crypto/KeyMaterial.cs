using System.Security.Cryptography;
using KmsConsole.LocalKms.Keys;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// The secret behind a key, by key spec: 32 random bytes for SYMMETRIC_DEFAULT, raw key bytes for HMAC, and for asymmetric
/// keys the private key as DER PKCS#8 (the form KMS takes for imported asymmetric material). RSA and the ECDSA curves use
/// .NET's own cryptography; Ed25519, ML-DSA and ML-KEM, which .NET cannot do on this platform's OpenSSL 3.0, use BouncyCastle.
/// </summary>
public static class KeyMaterial
{
    public static byte[] Generate(string keySpec)
    {
        switch (KeySpecs.FamilyOf(keySpec))
        {
            case KeyFamily.Symmetric:
                return RandomNumberGenerator.GetBytes(32);
            case KeyFamily.Hmac:
                return RandomNumberGenerator.GetBytes(KeySpecs.HmacKeyLength(keySpec).Min);
            case KeyFamily.Rsa:
            {
                using var rsa = RSA.Create(KeySpecs.RsaBits(keySpec));
                return rsa.ExportPkcs8PrivateKey();
            }

            case KeyFamily.Ecc:
            {
                using var ecdsa = ECDsa.Create(Curve(keySpec));
                return ecdsa.ExportPkcs8PrivateKey();
            }

            case KeyFamily.Ed25519:
            {
                var generator = new Ed25519KeyPairGenerator();
                generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
                return PrivateKeyInfoFactory.CreatePrivateKeyInfo(generator.GenerateKeyPair().Private).GetEncoded();
            }

            case KeyFamily.MlDsa:
            {
                var generator = new MLDsaKeyPairGenerator();
                generator.Init(new MLDsaKeyGenerationParameters(new SecureRandom(), MlDsaParameters(keySpec)));
                return PrivateKeyInfoFactory.CreatePrivateKeyInfo(generator.GenerateKeyPair().Private).GetEncoded();
            }

            case KeyFamily.MlKem:
            {
                var generator = new MLKemKeyPairGenerator();
                generator.Init(new MLKemKeyGenerationParameters(new SecureRandom(), MlKemParameters(keySpec)));
                return PrivateKeyInfoFactory.CreatePrivateKeyInfo(generator.GenerateKeyPair().Private).GetEncoded();
            }

            default:
                throw new NotSupportedException($"Key spec {keySpec} has no key material generator here.");
        }
    }

    /// <summary>The public key as DER SubjectPublicKeyInfo (RFC 5280), what GetPublicKey returns.</summary>
    public static byte[] PublicKey(string keySpec, byte[] privateKeyPkcs8)
    {
        switch (KeySpecs.FamilyOf(keySpec))
        {
            case KeyFamily.Rsa:
            {
                using var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(privateKeyPkcs8, out _);
                return rsa.ExportSubjectPublicKeyInfo();
            }

            case KeyFamily.Ecc:
            {
                using var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(privateKeyPkcs8, out _);
                return ecdsa.ExportSubjectPublicKeyInfo();
            }

            case KeyFamily.Ed25519:
                return SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(
                    ((Ed25519PrivateKeyParameters)PrivateKeyFactory.CreateKey(privateKeyPkcs8)).GeneratePublicKey()).GetEncoded();
            case KeyFamily.MlDsa:
                return SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(
                    ((MLDsaPrivateKeyParameters)PrivateKeyFactory.CreateKey(privateKeyPkcs8)).GetPublicKey()).GetEncoded();
            case KeyFamily.MlKem:
                return SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(
                    ((MLKemPrivateKeyParameters)PrivateKeyFactory.CreateKey(privateKeyPkcs8)).GetPublicKey()).GetEncoded();
            default:
                throw new NotSupportedException($"Key spec {keySpec} has no public key.");
        }
    }

    /// <summary>
    /// Whether imported material fits the key spec: 256 bits for SYMMETRIC_DEFAULT, a length in the spec's range for HMAC,
    /// a DER PKCS#8 private key of the spec's size or curve for asymmetric keys.
    /// </summary>
    public static bool Fits(string keySpec, byte[] material)
    {
        try
        {
            switch (KeySpecs.FamilyOf(keySpec))
            {
                case KeyFamily.Symmetric:
                    return material.Length == 32;
                case KeyFamily.Hmac:
                    var (min, max) = KeySpecs.HmacKeyLength(keySpec);
                    return material.Length >= min && material.Length <= max;
                case KeyFamily.Rsa:
                {
                    using var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(material, out var read);
                    return read == material.Length && rsa.KeySize == KeySpecs.RsaBits(keySpec);
                }

                case KeyFamily.Ecc:
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportPkcs8PrivateKey(material, out var read);
                    return read == material.Length && ecdsa.ExportParameters(false).Curve.Oid.Value == Curve(keySpec).Oid.Value;
                }

                case KeyFamily.Ed25519:
                    return PrivateKeyFactory.CreateKey(material) is Ed25519PrivateKeyParameters;
                case KeyFamily.MlDsa:
                    return PrivateKeyFactory.CreateKey(material) is MLDsaPrivateKeyParameters key && key.Parameters == MlDsaParameters(keySpec);
                case KeyFamily.MlKem:
                    return PrivateKeyFactory.CreateKey(material) is MLKemPrivateKeyParameters kem && kem.Parameters == MlKemParameters(keySpec);
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidCastException or IOException or SecurityUtilityException or InvalidOperationException)
        {
            return false;
        }
    }

    public static ECCurve Curve(string keySpec) => keySpec switch
    {
        KeySpecs.EccNistP256 => ECCurve.NamedCurves.nistP256,
        KeySpecs.EccNistP384 => ECCurve.NamedCurves.nistP384,
        KeySpecs.EccNistP521 => ECCurve.NamedCurves.nistP521,

        // secp256k1 (SEC 2), by OID: OpenSSL knows it, .NET has no named constant for it.
        KeySpecs.EccSecgP256K1 => ECCurve.CreateFromValue("1.3.132.0.10"),
        _ => throw new ArgumentOutOfRangeException(nameof(keySpec), keySpec, "Not an ECC key spec."),
    };

    public static MLDsaParameters MlDsaParameters(string keySpec) => keySpec switch
    {
        KeySpecs.MlDsa44 => Org.BouncyCastle.Crypto.Parameters.MLDsaParameters.ml_dsa_44,
        KeySpecs.MlDsa65 => Org.BouncyCastle.Crypto.Parameters.MLDsaParameters.ml_dsa_65,
        KeySpecs.MlDsa87 => Org.BouncyCastle.Crypto.Parameters.MLDsaParameters.ml_dsa_87,
        _ => throw new ArgumentOutOfRangeException(nameof(keySpec), keySpec, "Not an ML-DSA key spec."),
    };

    public static MLKemParameters MlKemParameters(string keySpec) => keySpec switch
    {
        KeySpecs.MlKem512 => Org.BouncyCastle.Crypto.Parameters.MLKemParameters.ml_kem_512,
        KeySpecs.MlKem768 => Org.BouncyCastle.Crypto.Parameters.MLKemParameters.ml_kem_768,
        KeySpecs.MlKem1024 => Org.BouncyCastle.Crypto.Parameters.MLKemParameters.ml_kem_1024,
        _ => throw new ArgumentOutOfRangeException(nameof(keySpec), keySpec, "Not an ML-KEM key spec."),
    };

    /// <summary>BouncyCastle's view of a PKCS#8 private key (Ed25519, ML-DSA).</summary>
    public static AsymmetricKeyParameter BouncyCastlePrivateKey(byte[] privateKeyPkcs8) => PrivateKeyFactory.CreateKey(privateKeyPkcs8);
}
