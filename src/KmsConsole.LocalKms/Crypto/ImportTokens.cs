using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// Import tokens are self-contained: the key id, wrapping algorithm, expiry and the wrapping private key,
/// sealed under the master key. Nothing about them needs storing, and they survive a restart for their 24 hours.
/// </summary>
public sealed class ImportTokens(MasterKey masterKey)
{
    private static readonly byte[] Purpose = Encoding.ASCII.GetBytes("kms-import-token-v1");

    public sealed record Contents(string KeyId, string WrappingAlgorithm, DateTimeOffset ValidTo, byte[] PrivateKeyPkcs8);

    public byte[] Issue(Contents contents)
    {
        using var buffer = new MemoryStream();
        WriteString(buffer, contents.KeyId);
        WriteString(buffer, contents.WrappingAlgorithm);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, contents.ValidTo.ToUnixTimeMilliseconds());
        buffer.Write(time);
        buffer.Write(contents.PrivateKeyPkcs8);
        var plain = buffer.ToArray();
        try
        {
            return masterKey.Seal(plain, Purpose);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>Reads a token this endpoint issued; null when it is not one (altered, foreign, truncated).</summary>
    public Contents? Read(ReadOnlySpan<byte> token)
    {
        var plain = masterKey.Open(token, Purpose);
        if (plain is null)
        {
            return null;
        }

        try
        {
            var offset = 0;
            var keyId = ReadString(plain, ref offset);
            var algorithm = ReadString(plain, ref offset);
            var validTo = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(plain.AsSpan(offset, 8)));
            offset += 8;
            return new Contents(keyId, algorithm, validTo, plain[offset..]);
        }
        catch (ArgumentException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static void WriteString(Stream stream, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        stream.WriteByte((byte)bytes.Length);
        stream.Write(bytes);
    }

    private static string ReadString(byte[] data, ref int offset)
    {
        var length = data[offset];
        var value = Encoding.UTF8.GetString(data, offset + 1, length);
        offset += 1 + length;
        return value;
    }
}

/// <summary>Undoes the wrapping the caller applied to key material with the public key from GetParametersForImport.</summary>
public static class ImportUnwrapping
{
    public const string RetiredPkcs1 = "RSAES_PKCS1_V1_5";

    /// <summary>The API's enum; <see cref="RetiredPkcs1"/> is in it but refused by GetParametersForImport.</summary>
    public static readonly string[] Algorithms =
        [RetiredPkcs1, "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256", "SM2PKE"];

    /// <summary>The material, or null when it was not wrapped with this private key and algorithm.</summary>
    public static byte[]? Unwrap(string algorithm, byte[] privateKeyPkcs8, ReadOnlySpan<byte> wrapped)
    {
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(privateKeyPkcs8, out _);
        var modulusBytes = rsa.KeySize / 8;
        try
        {
            switch (algorithm)
            {
                case "RSAES_OAEP_SHA_1":
                    return rsa.Decrypt(wrapped.ToArray(), RSAEncryptionPadding.OaepSHA1);
                case "RSAES_OAEP_SHA_256":
                    return rsa.Decrypt(wrapped.ToArray(), RSAEncryptionPadding.OaepSHA256);
                case "RSA_AES_KEY_WRAP_SHA_1":
                case "RSA_AES_KEY_WRAP_SHA_256":
                {
                    // RSA-OAEP-wrapped ephemeral AES key, then the material under AES Key Wrap with Padding.
                    if (wrapped.Length <= modulusBytes)
                    {
                        return null;
                    }

                    var padding = algorithm.EndsWith("SHA_1", StringComparison.Ordinal) ? RSAEncryptionPadding.OaepSHA1 : RSAEncryptionPadding.OaepSHA256;
                    var aesKey = rsa.Decrypt(wrapped[..modulusBytes].ToArray(), padding);
                    try
                    {
                        return aesKey.Length is 16 or 24 or 32 ? AesKeyWrapWithPadding.Unwrap(aesKey, wrapped[modulusBytes..]) : null;
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(aesKey);
                    }
                }

                default:
                    return null;
            }
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
