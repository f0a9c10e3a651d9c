using System.Security.Cryptography;

namespace KmsConsole.LocalKms.Crypto;

/// <summary>
/// The 256-bit key that seals every key material and import token at rest (AES-GCM).
/// It lives in a file readable by the owner only; without it the database is useless to a reader.
/// </summary>
public sealed class MasterKey : IDisposable
{
    public const string FileName = "master.key";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly AesGcm _aes;

    private MasterKey(byte[] key)
    {
        _aes = new AesGcm(key, TagSize);
        CryptographicOperations.ZeroMemory(key);
    }

    public static MasterKey LoadOrCreate(string dataDirectory, bool mayCreate)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            if (!mayCreate)
            {
                throw new InvalidOperationException(
                    $"The local KMS data folder '{dataDirectory}' holds a database but no {FileName}; the key material in it cannot be opened.");
            }

            var fresh = RandomNumberGenerator.GetBytes(32);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(path, options))
            {
                stream.Write(fresh);
            }

            return new MasterKey(fresh);
        }

        if (!OperatingSystem.IsWindows())
        {
            // Tighten a file someone loosened; the master key must stay owner-only.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var key = File.ReadAllBytes(path);
        if (key.Length != 32)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new InvalidOperationException($"{path} is not a 256-bit master key.");
        }

        return new MasterKey(key);
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var sealedBytes = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        lock (_aes)
        {
            _aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), associatedData);
        }

        return sealedBytes;
    }

    /// <summary>Opens what <see cref="Seal"/> produced; null when it was altered or sealed for other associated data.</summary>
    public byte[]? Open(ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> associatedData)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            return null;
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            lock (_aes)
            {
                _aes.Decrypt(sealedBytes[..NonceSize], sealedBytes[(NonceSize + TagSize)..], sealedBytes.Slice(NonceSize, TagSize), plaintext, associatedData);
            }

            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    public void Dispose() => _aes.Dispose();
}
