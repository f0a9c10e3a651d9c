using System.Text.Json;
using KmsConsole.LocalKms.Crypto;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Iam;

/// <summary>
/// Plugs <see cref="IamPolicyEnforcer"/> into the KMS request pipeline: works out which resources an operation
/// touches and refuses the call, in KMS's words, when the caller's role may not act on one of them. Follows the
/// "Required permissions" of the KMS API reference: UpdateAlias needs kms:UpdateAlias on the alias, the current
/// key and the new key; CreateAlias on the alias and the key; DeleteAlias on the alias and its key; ReEncrypt
/// needs kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination; operations that act on no
/// key (CreateKey, ListKeys, ListAliases, GenerateRandom, ...) are checked on "*"; CreateKey with Tags also needs
/// kms:TagResource on every key of the account ("an IAM policy that isn't restricted to particular KMS keys").
/// Decrypt and ReEncrypt without a KeyId are checked on the key the ciphertext names, as AWS reads it from the
/// ciphertext's metadata (key/* when the blob is not one of this endpoint's). A KeyId that names no key is left
/// for the operation to answer (NotFoundException). Every check is also handed to <see cref="KmsCallRecorder"/>.
/// </summary>
public sealed class IamKmsAuthorizer(IamPolicyEnforcer enforcer, KeyRing ring, KmsCallRecorder? recorder = null) : IKmsOperationAuthorizer
{
    private readonly KmsCallRecorder _recorder = recorder ?? new KmsCallRecorder();
    private readonly GrantAuthorization _grants = new(ring);

    private static readonly HashSet<string> NotResourceScoped = new(StringComparer.Ordinal)
    {
        "CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants", "CreateCustomKeyStore",
        "DescribeCustomKeyStores", "ConnectCustomKeyStore", "DisconnectCustomKeyStore", "UpdateCustomKeyStore", "DeleteCustomKeyStore",
    };

    public void Authorize(string callerAccessKeyId, string operation, JsonElement requestBody)
    {
        if (!enforcer.Enabled && !_recorder.Recording)
        {
            return;
        }

        foreach (var (action, resource) in RequiredPermissions(operation, requestBody))
        {
            var decision = enforcer.Authorize(callerAccessKeyId, action, resource);
            var allowed = decision.IsAllowed || (decision.Decision == PermissionDecision.ImplicitDeny
                && enforcer.CallerPrincipals(callerAccessKeyId) is { Count: > 0 } principals
                && _grants.Allows(principals, action, resource, requestBody));
            _recorder.Record(callerAccessKeyId, action, resource, allowed);
            if (!allowed)
            {
                throw new KmsException(decision.ErrorCode!, decision.Message!);
            }
        }
    }

    /// <summary>The (action, resource ARN) pairs the operation is checked on.</summary>
    public IReadOnlyList<(string Action, string Resource)> RequiredPermissions(string operation, JsonElement body)
    {
        var action = "kms:" + operation;
        var list = new List<(string, string)>();
        lock (ring.Gate)
        {
            switch (operation)
            {
                case "CreateAlias":
                    AddAlias(list, action, body);
                    AddKey(list, action, Text(body, "TargetKeyId"));
                    break;
                case "UpdateAlias":
                    AddAlias(list, action, body);
                    if (Text(body, "AliasName") is { } updated && ring.FindAlias(updated) is { } current)
                    {
                        list.Add((action, ring.KeyArn(current.TargetKeyId)));
                    }

                    AddKey(list, action, Text(body, "TargetKeyId"));
                    break;
                case "DeleteAlias":
                    AddAlias(list, action, body);
                    if (Text(body, "AliasName") is { } deleted && ring.FindAlias(deleted) is { } existing)
                    {
                        list.Add((action, ring.KeyArn(existing.TargetKeyId)));
                    }

                    break;
                case "ReEncrypt":
                    AddKeyOrAny(list, "kms:ReEncryptFrom", Text(body, "SourceKeyId") ?? CiphertextKeyId(body));
                    AddKey(list, "kms:ReEncryptTo", Text(body, "DestinationKeyId"));
                    break;
                case "Decrypt":
                    AddKeyOrAny(list, action, Text(body, "KeyId") ?? CiphertextKeyId(body));
                    break;
                case "CreateKey":
                    list.Add((action, "*"));
                    if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("Tags", out var tags)
                        && tags.ValueKind == JsonValueKind.Array && tags.GetArrayLength() > 0)
                    {
                        list.Add(("kms:TagResource", $"arn:aws:kms:{ring.Region}:{ring.AccountId}:key/*"));
                    }

                    break;
                default:
                    if (NotResourceScoped.Contains(operation) || Text(body, "KeyId") is not { } keyId)
                    {
                        list.Add((action, "*"));
                    }
                    else
                    {
                        AddKey(list, action, keyId);
                    }

                    break;
            }
        }

        return list;
    }

    private void AddAlias(List<(string, string)> list, string action, JsonElement body)
    {
        if (Text(body, "AliasName") is { } alias && alias.StartsWith("alias/", StringComparison.Ordinal))
        {
            list.Add((action, ring.AliasArn(alias)));
        }
    }

    private void AddKeyOrAny(List<(string, string)> list, string action, string? keyIdentifier)
    {
        if (keyIdentifier is null)
        {
            list.Add((action, $"arn:aws:kms:{ring.Region}:{ring.AccountId}:key/*"));
        }
        else
        {
            AddKey(list, action, keyIdentifier);
        }
    }

    private void AddKey(List<(string, string)> list, string action, string? keyIdentifier)
    {
        if (KeyArnOf(keyIdentifier) is { } arn)
        {
            list.Add((action, arn));
        }
    }

    // Read-only resolution (no time-driven changes): a key id or key ARN names itself; an alias names its key.
    private string? KeyArnOf(string? identifier)
    {
        if (string.IsNullOrEmpty(identifier))
        {
            return null;
        }

        var aliasName = identifier.StartsWith("alias/", StringComparison.Ordinal) ? identifier : null;
        if (identifier.StartsWith("arn:", StringComparison.Ordinal))
        {
            var parts = identifier.Split(':', 6);
            if (parts.Length != 6)
            {
                return null;
            }

            if (parts[5].StartsWith("key/", StringComparison.Ordinal))
            {
                return identifier;
            }

            aliasName = parts[5].StartsWith("alias/", StringComparison.Ordinal) ? parts[5] : null;
            if (aliasName is null)
            {
                return null;
            }
        }

        if (aliasName is not null)
        {
            return ring.FindAlias(aliasName) is { } alias ? ring.KeyArn(alias.TargetKeyId) : null;
        }

        return ring.KeyArn(identifier);
    }

    // The key id in this endpoint's ciphertext header; null for a blob it did not produce (the operation refuses it later).
    private static string? CiphertextKeyId(JsonElement body)
    {
        if (Text(body, "CiphertextBlob") is not { } encoded)
        {
            return null;
        }

        var bytes = new byte[encoded.Length];
        return Convert.TryFromBase64String(encoded, bytes, out var length) ? CiphertextBlob.ReadHeader(bytes.AsSpan(0, length))?.KeyId : null;
    }

    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
