using System.Security.Cryptography;
using System.Text;

namespace KmsConsole.Web.Notifications;

/// <summary>
/// The Standard Webhooks signature: <c>v1,</c> and the base64 HMAC-SHA256 of <c>{webhook-id}.{webhook-timestamp}.{body}</c>
/// under the secret, which is given as <c>whsec_</c> followed by the base64 of its bytes.
/// </summary>
public static class StandardWebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static byte[] KeyOf(string secret)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            throw new FormatException($"A Standard Webhooks secret starts with {SecretPrefix}.");
        }

        return Convert.FromBase64String(secret[SecretPrefix.Length..]);
    }

    public static string Sign(byte[] key, string id, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
}
