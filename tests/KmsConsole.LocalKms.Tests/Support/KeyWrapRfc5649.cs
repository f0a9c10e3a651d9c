using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KmsConsole.LocalKms.Tests.Support;

/// <summary>
/// The test side's own AES Key Wrap with Padding (RFC 5649, wrapping only), written independently of the server's,
/// so the RSA_AES_KEY_WRAP import tests do not check the server against itself.
/// </summary>
public static class KeyWrapRfc5649
{
    public static byte[] Wrap(byte[] kek, byte[] keyData)
    {
        var padded = new byte[(keyData.Length + 7) / 8 * 8];
        Buffer.BlockCopy(keyData, 0, padded, 0, keyData.Length);
        var aiv = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(aiv, 0xA65959A6u);
        BinaryPrimitives.WriteUInt32BigEndian(aiv.AsSpan(4), (uint)keyData.Length);
        using var aes = Aes.Create();
        aes.Key = kek;
        if (padded.Length == 8)
        {
            return aes.EncryptEcb([.. aiv, .. padded], PaddingMode.None);
        }

        // RFC 3394 wrapping process with the alternative initial value.
        var n = padded.Length / 8;
        var blocks = Enumerable.Range(0, n).Select(i => padded.AsSpan(i * 8, 8).ToArray()).ToArray();
        var a = aiv;
        for (var j = 0; j < 6; j++)
        {
            for (var i = 0; i < n; i++)
            {
                var b = aes.EncryptEcb([.. a, .. blocks[i]], PaddingMode.None);
                a = b[..8];
                var t = (ulong)((n * j) + i + 1);
                BinaryPrimitives.WriteUInt64BigEndian(a, BinaryPrimitives.ReadUInt64BigEndian(a) ^ t);
                blocks[i] = b[8..];
            }
        }

        return [.. a, .. blocks.SelectMany(block => block)];
    }
}
