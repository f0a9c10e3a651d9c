using System.Security.Cryptography;
using System.Text;

namespace KmsConsole.Rotation.Automation;

/// <summary>
/// The secret of a personal access token: a recognisable prefix (so secret scanners and people can spot a leaked one)
/// and 32 random bytes in base64url. 256 bits of randomness make a plain SHA-256 enough to store it: there is nothing
/// to guess, so no slow password hash is needed, and the lookup by hash is one indexed query.
/// </summary>
public static class TokenSecret
{
    public const string Prefix = "kmsc_pat_";

    private const int HintLength = 4;

    public static string New()
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        var text = Convert.ToBase64String(random).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        random.Clear();
        return Prefix + text;
    }

    public static bool LooksLikeOne(string? presented) =>
        presented is { Length: > 20 and < 200 } && presented.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>The prefix and four characters of the random part: enough to tell tokens apart, far too little to guess one.</summary>
    public static string Hint(string secret) => secret[..(Prefix.Length + HintLength)] + "…";
}
