using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// AES Key Wrap with Padding (RFC 5649), used by the RSA_AES_KEY_WRAP_* import wrapping algorithms.
/// .NET has no built-in implementation; this follows the RFC's wrapping and unwrapping processes.
/// </summary>
public static class AesKeyWrapWithPadding
{
    private const uint AlternativeIv = 0xA65959A6;

    public static byte[] Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> plaintext)
    {
        if (plaintext.Length == 0)
        {
            throw new ArgumentException("Nothing to wrap.", nameof(plaintext));
        }

        var paddedLength = (plaintext.Length + 7) / 8 * 8;
        var n = paddedLength / 8;
        Span<byte> aiv = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(aiv, AlternativeIv);
        BinaryPrimitives.WriteUInt32BigEndian(aiv[4..], (uint)plaintext.Length);

        using var aes = Aes.Create();
        aes.Key = kek.ToArray();
        if (n == 1)
        {
            var block = new byte[16];
            aiv.CopyTo(block);
            plaintext.CopyTo(block.AsSpan(8));
            return aes.EncryptEcb(block, PaddingMode.None);
        }

        var r = new byte[paddedLength];
        plaintext.CopyTo(r);
        var a = aiv.ToArray();
        var b = new byte[16];
        for (var j = 0; j <= 5; j++)
        {
            for (var i = 1; i <= n; i++)
            {
                a.CopyTo(b, 0);
                Array.Copy(r, (i - 1) * 8, b, 8, 8);
                var encrypted = aes.EncryptEcb(b, PaddingMode.None);
                var t = (ulong)((n * j) + i);
                var msb = BinaryPrimitives.ReadUInt64BigEndian(encrypted) ^ t;
                BinaryPrimitives.WriteUInt64BigEndian(a, msb);
                Array.Copy(encrypted, 8, r, (i - 1) * 8, 8);
            }
        }

        var output = new byte[paddedLength + 8];
        a.CopyTo(output, 0);
        r.CopyTo(output, 8);
        return output;
    }

    /// <summary>Unwraps; null when the integrity check fails (wrong key or altered input).</summary>
    public static byte[]? Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length < 16 || wrapped.Length % 8 != 0)
        {
            return null;
        }

        using var aes = Aes.Create();
        aes.Key = kek.ToArray();
        var n = (wrapped.Length / 8) - 1;
        byte[] a;
        byte[] r;
        if (n == 1)
        {
            var block = aes.DecryptEcb(wrapped.ToArray(), PaddingMode.None);
            a = block[..8];
            r = block[8..];
        }
        else
        {
            a = wrapped[..8].ToArray();
            r = wrapped[8..].ToArray();
            var b = new byte[16];
            for (var j = 5; j >= 0; j--)
            {
                for (var i = n; i >= 1; i--)
                {
                    var t = (ulong)((n * j) + i);
                    BinaryPrimitives.WriteUInt64BigEndian(b, BinaryPrimitives.ReadUInt64BigEndian(a) ^ t);
                    Array.Copy(r, (i - 1) * 8, b, 8, 8);
                    var decrypted = aes.DecryptEcb(b, PaddingMode.None);
                    Array.Copy(decrypted, 0, a, 0, 8);
                    Array.Copy(decrypted, 8, r, (i - 1) * 8, 8);
                }
            }
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(a) != AlternativeIv)
        {
            return null;
        }

        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(a.AsSpan(4));
        if (length <= 8 * (n - 1) || length > 8 * n)
        {
            return null;
        }

        for (var k = length; k < r.Length; k++)
        {
            if (r[k] != 0)
            {
                return null;
            }
        }

        var result = r[..length];
        CryptographicOperations.ZeroMemory(r);
        return result;
    }
}
