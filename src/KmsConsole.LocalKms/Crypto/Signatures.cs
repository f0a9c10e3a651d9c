using System.Security.Cryptography;
using KmsConsole.LocalKms.Keys;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// Sign and Verify with real algorithms, producing what KMS produces so a standard library verifies it outside the
/// endpoint: RSASSA-PSS with a salt as long as the hash (KMS's salt length), RSASSA-PKCS1-v1_5, ECDSA as a DER
/// (RFC 3279) sequence, Ed25519 and Ed25519ph (RFC 8032) and pure ML-DSA (FIPS 204) with an empty context.
/// With MessageType DIGEST the message is the hash and is not hashed again, except for ED25519_PH_SHA_512, where
/// the API reference says KMS still performs the SHA-512 prehash of FIPS 186-5 7.8.1 (the input is hashed twice).
/// </summary>
public static class Signatures
{
    /// <summary>The digest length a DIGEST message must have for the algorithm; null when the algorithm takes no digest.</summary>
    public static int? DigestLength(string algorithm) => algorithm switch
    {
        SigningAlgorithmNames.Ed25519PhSha512 => 64,
        SigningAlgorithmNames.Ed25519Sha512 or SigningAlgorithmNames.MlDsaShake256 or SigningAlgorithmNames.Sm2Dsa => null,
        _ when algorithm.EndsWith("SHA_256", StringComparison.Ordinal) => 32,
        _ when algorithm.EndsWith("SHA_384", StringComparison.Ordinal) => 48,
        _ when algorithm.EndsWith("SHA_512", StringComparison.Ordinal) => 64,
        _ => null,
    };

    public static byte[] Sign(string keySpec, byte[] privateKeyPkcs8, string algorithm, byte[] message, bool isDigest)
    {
        switch (KeySpecs.FamilyOf(keySpec))
        {
            case KeyFamily.Rsa:
            {
                var rsa = ParsedKeys.Rsa(privateKeyPkcs8);
                return isDigest
                    ? rsa.SignHash(message, Hash(algorithm), RsaPadding(algorithm))
                    : rsa.SignData(message, Hash(algorithm), RsaPadding(algorithm));
            }

            case KeyFamily.Ecc:
            {
                var ecdsa = ParsedKeys.Ecdsa(privateKeyPkcs8);
                return isDigest
                    ? ecdsa.SignHash(message, DSASignatureFormat.Rfc3279DerSequence)
                    : ecdsa.SignData(message, Hash(algorithm), DSASignatureFormat.Rfc3279DerSequence);
            }

            default:
            {
                var signer = BouncyCastleSigner(keySpec, algorithm);
                signer.Init(true, ParsedKeys.BouncyCastle(privateKeyPkcs8));
                signer.BlockUpdate(message, 0, message.Length);
                return signer.GenerateSignature();
            }
        }
    }

    /// <summary>True when the signature is the key's signature of the message with the algorithm.</summary>
    public static bool Verify(string keySpec, byte[] privateKeyPkcs8, string algorithm, byte[] message, bool isDigest, byte[] signature)
    {
        try
        {
            switch (KeySpecs.FamilyOf(keySpec))
            {
                case KeyFamily.Rsa:
                {
                    var rsa = ParsedKeys.Rsa(privateKeyPkcs8);
                    return isDigest
                        ? rsa.VerifyHash(message, signature, Hash(algorithm), RsaPadding(algorithm))
                        : rsa.VerifyData(message, signature, Hash(algorithm), RsaPadding(algorithm));
                }

                case KeyFamily.Ecc:
                {
                    var ecdsa = ParsedKeys.Ecdsa(privateKeyPkcs8);
                    return isDigest
                        ? ecdsa.VerifyHash(message, signature, DSASignatureFormat.Rfc3279DerSequence)
                        : ecdsa.VerifyData(message, signature, Hash(algorithm), DSASignatureFormat.Rfc3279DerSequence);
                }

                default:
                {
                    var signer = BouncyCastleSigner(keySpec, algorithm);
                    signer.Init(false, PublicKeyOf(ParsedKeys.BouncyCastle(privateKeyPkcs8)));
                    signer.BlockUpdate(message, 0, message.Length);
                    return signer.VerifySignature(signature);
                }
            }
        }
        catch (CryptographicException)
        {
            // A signature of the wrong length or a malformed DER sequence is simply not a valid signature.
            return false;
        }
    }

    private static ISigner BouncyCastleSigner(string keySpec, string algorithm) => algorithm switch
    {
        SigningAlgorithmNames.Ed25519Sha512 => new Ed25519Signer(),
        SigningAlgorithmNames.Ed25519PhSha512 => new Ed25519phSigner([]),
        SigningAlgorithmNames.MlDsaShake256 => new MLDsaSigner(KeyMaterial.MlDsaParameters(keySpec), deterministic: false),
        _ => throw new NotSupportedException($"Signing algorithm {algorithm} is not available for {keySpec}."),
    };

    private static AsymmetricKeyParameter PublicKeyOf(AsymmetricKeyParameter privateKey) => privateKey switch
    {
        Ed25519PrivateKeyParameters ed25519 => ed25519.GeneratePublicKey(),
        MLDsaPrivateKeyParameters mlDsa => mlDsa.GetPublicKey(),
        _ => throw new NotSupportedException($"No public key for {privateKey.GetType().Name}."),
    };

    private static HashAlgorithmName Hash(string algorithm) => DigestLength(algorithm) switch
    {
        32 => HashAlgorithmName.SHA256,
        48 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    private static RSASignaturePadding RsaPadding(string algorithm) =>
        algorithm.StartsWith("RSASSA_PSS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
}
