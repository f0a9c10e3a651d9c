using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Notifications;

/// <summary>What of a console channel is a credential: a Slack, Teams or webhook address, a webhook's signing secret, the SMTP password.</summary>
internal sealed record ChannelSecretValues(string? Url, string? Secret, string? SmtpPassword);

/// <summary>
/// Encrypts a console channel's secrets with AES-GCM under <see cref="NotificationOptions.SecretKey"/>, bound to the
/// channel's id (associated data), so a stored value copied onto another row does not open. Without the key nothing is
/// stored: a refusal says which setting is missing, and the secret is never written in the clear instead.
/// </summary>
internal sealed class ChannelSecrets(IOptions<NotificationOptions> options)
{
    private const string Version = "v1.";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public static string MissingKey =>
        "Notifications:SecretKey is not set, so the console cannot keep this channel's secrets (they are stored only encrypted under it). " +
        "Set it to 32 random bytes in base64 (e.g. openssl rand -base64 32) as the environment variable Notifications__SecretKey or from a secret store.";

    public static string BadKey => "Notifications:SecretKey must be 32 bytes in base64 (e.g. openssl rand -base64 32).";

    /// <summary>The configured key is 32 bytes of base64, or absent.</summary>
    public static bool IsValidKey(string? key) => key is null || Decode(key) is not null;

    public string Protect(Guid channelId, ChannelSecretValues values)
    {
        var key = Key();
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(values);
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, plaintext, ciphertext, tag, channelId.ToByteArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            CryptographicOperations.ZeroMemory(key);
        }

        return Version + Convert.ToBase64String([.. nonce, .. ciphertext, .. tag]);
    }

    public ChannelSecretValues Unprotect(Guid channelId, string? protectedValues)
    {
        if (protectedValues is null)
        {
            return new ChannelSecretValues(null, null, null);
        }

        var key = Key();
        try
        {
            var sealedBytes = protectedValues.StartsWith(Version, StringComparison.Ordinal) ? Convert.FromBase64String(protectedValues[Version.Length..]) : [];
            if (sealedBytes.Length < NonceSize + TagSize)
            {
                throw new RotationRefusedException("A console channel's stored secrets are not in a form this console reads.");
            }

            var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length),
                plaintext, channelId.ToByteArray());
            try
            {
                return JsonSerializer.Deserialize<ChannelSecretValues>(plaintext)!;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new RotationRefusedException(
                "A console channel's secrets do not open with Notifications:SecretKey: the key was changed since they were stored. " +
                "Set the former key again, or enter the channel's secrets again.", inner: e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private byte[] Key()
    {
        var configured = options.Value.SecretKey;
        if (string.IsNullOrWhiteSpace(configured))
        {
            throw new RotationRefusedException(MissingKey, kind: RefusalKind.Unavailable);
        }

        return Decode(configured) ?? throw new RotationRefusedException(BadKey, kind: RefusalKind.Unavailable);
    }

    private static byte[]? Decode(string key)
    {
        var bytes = new byte[33];
        return Convert.TryFromBase64String(key.Trim(), bytes, out var written) && written == 32 ? bytes[..32] : null;
    }
}
