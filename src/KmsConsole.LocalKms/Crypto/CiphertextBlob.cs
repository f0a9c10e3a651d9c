using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// The endpoint's own self-describing ciphertext format for symmetric keys:
/// "LK" | version | key id length | key id | key material id (32 bytes) | nonce (12) | tag (16) | AES-GCM ciphertext.
/// Everything before the nonce and the canonical encryption context are the associated data,
/// so a changed byte, another key's header or a different context fails authentication.
/// </summary>
public static class CiphertextBlob
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int MaterialIdSize = 32;

    public sealed record Header(string KeyId, string MaterialId);

    public static byte[] Seal(string keyId, string materialId, ReadOnlySpan<byte> material, ReadOnlySpan<byte> plaintext, IReadOnlyDictionary<string, string> context)
    {
        var keyIdBytes = Encoding.ASCII.GetBytes(keyId);
        var headerLength = 4 + keyIdBytes.Length + MaterialIdSize;
        var blob = new byte[headerLength + NonceSize + TagSize + plaintext.Length];
        blob[0] = (byte)'L';
        blob[1] = (byte)'K';
        blob[2] = Version;
        blob[3] = (byte)keyIdBytes.Length;
        keyIdBytes.CopyTo(blob, 4);
        Convert.FromHexString(materialId).CopyTo(blob, 4 + keyIdBytes.Length);

        var nonce = blob.AsSpan(headerLength, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var aad = AssociatedData(blob.AsSpan(0, headerLength), context);
        using var aes = new AesGcm(material, TagSize);
        aes.Encrypt(nonce, plaintext, blob.AsSpan(headerLength + NonceSize + TagSize), blob.AsSpan(headerLength + NonceSize, TagSize), aad);
        return blob;
    }

    /// <summary>Reads the header; null when the blob is not one of ours.</summary>
    public static Header? ReadHeader(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 4 || blob[0] != 'L' || blob[1] != 'K' || blob[2] != Version)
        {
            return null;
        }

        var keyIdLength = blob[3];
        if (keyIdLength == 0 || blob.Length < 4 + keyIdLength + MaterialIdSize + NonceSize + TagSize)
        {
            return null;
        }

        var keyId = Encoding.ASCII.GetString(blob.Slice(4, keyIdLength));
        var materialId = Convert.ToHexStringLower(blob.Slice(4 + keyIdLength, MaterialIdSize));
        return new Header(keyId, materialId);
    }

    /// <summary>Decrypts; null when the blob was altered or the encryption context differs.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> material, IReadOnlyDictionary<string, string> context)
    {
        var headerLength = 4 + blob[3] + MaterialIdSize;
        var nonce = blob.Slice(headerLength, NonceSize);
        var tag = blob.Slice(headerLength + NonceSize, TagSize);
        var ciphertext = blob[(headerLength + NonceSize + TagSize)..];
        var plaintext = new byte[ciphertext.Length];
        var aad = AssociatedData(blob[..headerLength], context);
        try
        {
            using var aes = new AesGcm(material, TagSize);
            aes.Decrypt(nonce, ciphertext, tag, plaintext, aad);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static byte[] AssociatedData(ReadOnlySpan<byte> header, IReadOnlyDictionary<string, string> context)
    {
        using var buffer = new MemoryStream();
        buffer.Write(header);
        Span<byte> length = stackalloc byte[4];
        foreach (var (name, value) in context.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            foreach (var part in new[] { name, value })
            {
                var bytes = Encoding.UTF8.GetBytes(part);
                BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
                buffer.Write(length);
                buffer.Write(bytes);
            }
        }

        return buffer.ToArray();
    }
}
