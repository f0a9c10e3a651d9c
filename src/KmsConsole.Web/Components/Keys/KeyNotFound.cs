using KmsConsole.Rotation;

namespace KmsConsole.Web.Components.Keys;

/// <summary>The sentence the key pages show when their address names a target or key that does not exist.</summary>
internal static class KeyNotFound
{
    /// <summary>
    /// A refusal without an AWS error code came from the console itself, which knows no such target; one with a code
    /// is KMS's NotFoundException for the key id, ARN or alias.
    /// </summary>
    public static string Sentence(string target, string keyId, RotationRefusedException missing) =>
        missing.AwsErrorCode is null
            ? $"There is no KMS target named '{target}', so there is no key {keyId} to show."
            : $"Target '{target}' has no key {keyId}: no key with that id, ARN or alias exists there.";
}
