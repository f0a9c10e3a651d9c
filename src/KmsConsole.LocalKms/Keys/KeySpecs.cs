namespace KmsConsole.LocalKms.Keys;

/// <summary>The kind of key material behind a key spec; it decides how the material is generated, stored and used.</summary>
public enum KeyFamily
{
    Symmetric,
    Rsa,
    Ecc,
    Hmac,
    Ed25519,
    MlDsa,
    MlKem,
    Sm2,
}

/// <summary>
/// Every key spec of the KMS model with the key usages it accepts and the algorithms DescribeKey and GetPublicKey list
/// for each usage, after the API reference's CreateKey KeyUsage text ("For asymmetric KMS keys with NIST-recommended
/// elliptic curve key pairs, specify SIGN_VERIFY or KEY_AGREEMENT. For ... ECC_SECG_P256K1 key pairs, specify
/// SIGN_VERIFY ...") and the Developer Guide's key spec tables. This is the one home of the spec × usage rules.
/// </summary>
public static class KeySpecs
{
    public const string SymmetricDefault = "SYMMETRIC_DEFAULT";
    public const string Rsa2048 = "RSA_2048";
    public const string Rsa3072 = "RSA_3072";
    public const string Rsa4096 = "RSA_4096";
    public const string EccNistP256 = "ECC_NIST_P256";
    public const string EccNistP384 = "ECC_NIST_P384";
    public const string EccNistP521 = "ECC_NIST_P521";
    public const string EccSecgP256K1 = "ECC_SECG_P256K1";
    public const string Hmac224 = "HMAC_224";
    public const string Hmac256 = "HMAC_256";
    public const string Hmac384 = "HMAC_384";
    public const string Hmac512 = "HMAC_512";
    public const string Sm2 = "SM2";
    public const string MlDsa44 = "ML_DSA_44";
    public const string MlDsa65 = "ML_DSA_65";
    public const string MlDsa87 = "ML_DSA_87";
    public const string EccNistEdwards25519 = "ECC_NIST_EDWARDS25519";
    public const string MlKem512 = "ML_KEM_512";
    public const string MlKem768 = "ML_KEM_768";
    public const string MlKem1024 = "ML_KEM_1024";

    /// <summary>The KeySpec enum of the model, in its order (the ML-KEM specs come with the SDK 4.1 model's Encapsulate).</summary>
    public static readonly string[] All =
        [Rsa2048, Rsa3072, Rsa4096, EccNistP256, EccNistP384, EccNistP521, EccSecgP256K1, SymmetricDefault,
         Hmac224, Hmac256, Hmac384, Hmac512, Sm2, MlDsa44, MlDsa65, MlDsa87, EccNistEdwards25519, MlKem512, MlKem768, MlKem1024];

    /// <summary>The deprecated CustomerMasterKeySpec enum: the same names without ML-DSA and Ed25519.</summary>
    public static readonly string[] Legacy =
        [Rsa2048, Rsa3072, Rsa4096, EccNistP256, EccNistP384, EccNistP521, EccSecgP256K1, SymmetricDefault,
         Hmac224, Hmac256, Hmac384, Hmac512, Sm2];

    public static KeyFamily FamilyOf(string keySpec) => keySpec switch
    {
        SymmetricDefault => KeyFamily.Symmetric,
        Rsa2048 or Rsa3072 or Rsa4096 => KeyFamily.Rsa,
        EccNistP256 or EccNistP384 or EccNistP521 or EccSecgP256K1 => KeyFamily.Ecc,
        Hmac224 or Hmac256 or Hmac384 or Hmac512 => KeyFamily.Hmac,
        EccNistEdwards25519 => KeyFamily.Ed25519,
        MlDsa44 or MlDsa65 or MlDsa87 => KeyFamily.MlDsa,
        MlKem512 or MlKem768 or MlKem1024 => KeyFamily.MlKem,
        Sm2 => KeyFamily.Sm2,
        _ => throw new ArgumentOutOfRangeException(nameof(keySpec), keySpec, "Not a KMS key spec."),
    };

    public static bool IsAsymmetric(string keySpec) => FamilyOf(keySpec) is not (KeyFamily.Symmetric or KeyFamily.Hmac);

    public static bool IsNistCurve(string keySpec) => keySpec is EccNistP256 or EccNistP384 or EccNistP521;

    /// <summary>The key usages CreateKey accepts for the spec.</summary>
    public static IReadOnlyList<string> UsagesOf(string keySpec) => FamilyOf(keySpec) switch
    {
        KeyFamily.Symmetric => [KeyUsages.EncryptDecrypt],
        KeyFamily.Rsa => [KeyUsages.EncryptDecrypt, KeyUsages.SignVerify],
        KeyFamily.Ecc => IsNistCurve(keySpec) ? [KeyUsages.SignVerify, KeyUsages.KeyAgreement] : [KeyUsages.SignVerify],
        KeyFamily.Hmac => [KeyUsages.GenerateVerifyMac],
        KeyFamily.Sm2 => [KeyUsages.EncryptDecrypt, KeyUsages.SignVerify, KeyUsages.KeyAgreement],
        KeyFamily.MlKem => [KeyUsages.EncapsulateDecapsulate],
        _ => [KeyUsages.SignVerify],
    };

    public static bool Allows(string keySpec, string keyUsage) => UsagesOf(keySpec).Contains(keyUsage);

    public static IReadOnlyList<string> EncryptionAlgorithms(string keySpec, string keyUsage) => keyUsage != KeyUsages.EncryptDecrypt ? [] : FamilyOf(keySpec) switch
    {
        KeyFamily.Symmetric => [EncryptionAlgorithmNames.SymmetricDefault],
        KeyFamily.Rsa => [EncryptionAlgorithmNames.RsaesOaepSha1, EncryptionAlgorithmNames.RsaesOaepSha256],
        KeyFamily.Sm2 => [EncryptionAlgorithmNames.Sm2Pke],
        _ => [],
    };

    public static IReadOnlyList<string> SigningAlgorithms(string keySpec, string keyUsage) => keyUsage != KeyUsages.SignVerify ? [] : keySpec switch
    {
        Rsa2048 or Rsa3072 or Rsa4096 =>
            [SigningAlgorithmNames.RsassaPkcs1Sha256, SigningAlgorithmNames.RsassaPkcs1Sha384, SigningAlgorithmNames.RsassaPkcs1Sha512,
             SigningAlgorithmNames.RsassaPssSha256, SigningAlgorithmNames.RsassaPssSha384, SigningAlgorithmNames.RsassaPssSha512],
        EccNistP256 or EccSecgP256K1 => [SigningAlgorithmNames.EcdsaSha256],
        EccNistP384 => [SigningAlgorithmNames.EcdsaSha384],
        EccNistP521 => [SigningAlgorithmNames.EcdsaSha512],
        EccNistEdwards25519 => [SigningAlgorithmNames.Ed25519Sha512, SigningAlgorithmNames.Ed25519PhSha512],
        MlDsa44 or MlDsa65 or MlDsa87 => [SigningAlgorithmNames.MlDsaShake256],
        Sm2 => [SigningAlgorithmNames.Sm2Dsa],
        _ => [],
    };

    public static IReadOnlyList<string> MacAlgorithms(string keySpec, string keyUsage) => keyUsage != KeyUsages.GenerateVerifyMac ? [] : keySpec switch
    {
        Hmac224 => [MacAlgorithmNames.HmacSha224],
        Hmac256 => [MacAlgorithmNames.HmacSha256],
        Hmac384 => [MacAlgorithmNames.HmacSha384],
        Hmac512 => [MacAlgorithmNames.HmacSha512],
        _ => [],
    };

    public static IReadOnlyList<string> KeyAgreementAlgorithms(string keyUsage) => keyUsage == KeyUsages.KeyAgreement ? ["ECDH"] : [];

    /// <summary>The EncapsulationAlgorithmSpec values of an ENCAPSULATE_DECAPSULATE key: ML_KEM is the only one.</summary>
    public static IReadOnlyList<string> EncapsulationAlgorithms(string keyUsage) =>
        keyUsage == KeyUsages.EncapsulateDecapsulate ? [EncapsulationAlgorithmNames.MlKem] : [];

    public static int RsaBits(string keySpec) => keySpec switch
    {
        Rsa2048 => 2048,
        Rsa3072 => 3072,
        Rsa4096 => 4096,
        _ => 0,
    };

    /// <summary>
    /// The lengths of HMAC key material KMS accepts for import (Developer Guide, "Requirements for imported key material"):
    /// at least the hash's output, at most its block size. KMS generates material of the shortest length.
    /// </summary>
    public static (int Min, int Max) HmacKeyLength(string keySpec) => keySpec switch
    {
        Hmac224 => (28, 64),
        Hmac256 => (32, 64),
        Hmac384 => (48, 128),
        Hmac512 => (64, 128),
        _ => throw new ArgumentOutOfRangeException(nameof(keySpec), keySpec, "Not an HMAC key spec."),
    };

    /// <summary>The KeyPairSpec enum of GenerateDataKeyPair.</summary>
    public static readonly string[] DataKeyPairSpecs =
        [Rsa2048, Rsa3072, Rsa4096, EccNistP256, EccNistP384, EccNistP521, EccSecgP256K1, Sm2, EccNistEdwards25519];
}

public static class KeyUsages
{
    public const string EncryptDecrypt = "ENCRYPT_DECRYPT";
    public const string SignVerify = "SIGN_VERIFY";
    public const string GenerateVerifyMac = "GENERATE_VERIFY_MAC";
    public const string KeyAgreement = "KEY_AGREEMENT";
    public const string EncapsulateDecapsulate = "ENCAPSULATE_DECAPSULATE";

    /// <summary>The KeyUsage enum of the model, in its order.</summary>
    public static readonly string[] All = [SignVerify, EncryptDecrypt, GenerateVerifyMac, KeyAgreement, EncapsulateDecapsulate];
}

public static class EncapsulationAlgorithmNames
{
    public const string MlKem = "ML_KEM";
}

public static class EncryptionAlgorithmNames
{
    public const string SymmetricDefault = "SYMMETRIC_DEFAULT";
    public const string RsaesOaepSha1 = "RSAES_OAEP_SHA_1";
    public const string RsaesOaepSha256 = "RSAES_OAEP_SHA_256";
    public const string Sm2Pke = "SM2PKE";

    public static readonly string[] All = [SymmetricDefault, RsaesOaepSha1, RsaesOaepSha256, Sm2Pke];
}

public static class SigningAlgorithmNames
{
    public const string RsassaPssSha256 = "RSASSA_PSS_SHA_256";
    public const string RsassaPssSha384 = "RSASSA_PSS_SHA_384";
    public const string RsassaPssSha512 = "RSASSA_PSS_SHA_512";
    public const string RsassaPkcs1Sha256 = "RSASSA_PKCS1_V1_5_SHA_256";
    public const string RsassaPkcs1Sha384 = "RSASSA_PKCS1_V1_5_SHA_384";
    public const string RsassaPkcs1Sha512 = "RSASSA_PKCS1_V1_5_SHA_512";
    public const string EcdsaSha256 = "ECDSA_SHA_256";
    public const string EcdsaSha384 = "ECDSA_SHA_384";
    public const string EcdsaSha512 = "ECDSA_SHA_512";
    public const string Sm2Dsa = "SM2DSA";
    public const string MlDsaShake256 = "ML_DSA_SHAKE_256";
    public const string Ed25519Sha512 = "ED25519_SHA_512";
    public const string Ed25519PhSha512 = "ED25519_PH_SHA_512";

    /// <summary>The SigningAlgorithmSpec enum of the model, in its order.</summary>
    public static readonly string[] All =
        [RsassaPssSha256, RsassaPssSha384, RsassaPssSha512, RsassaPkcs1Sha256, RsassaPkcs1Sha384, RsassaPkcs1Sha512,
         EcdsaSha256, EcdsaSha384, EcdsaSha512, Sm2Dsa, MlDsaShake256, Ed25519Sha512, Ed25519PhSha512];
}

public static class MacAlgorithmNames
{
    public const string HmacSha224 = "HMAC_SHA_224";
    public const string HmacSha256 = "HMAC_SHA_256";
    public const string HmacSha384 = "HMAC_SHA_384";
    public const string HmacSha512 = "HMAC_SHA_512";

    public static readonly string[] All = [HmacSha224, HmacSha256, HmacSha384, HmacSha512];
}

public static class MessageTypes
{
    public const string Raw = "RAW";
    public const string Digest = "DIGEST";
    public const string ExternalMu = "EXTERNAL_MU";

    public static readonly string[] All = [Raw, Digest, ExternalMu];
}
