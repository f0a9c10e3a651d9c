using System.Text.Json;
using KmsConsole.LocalKms.Keys;
using KmsConsole.LocalKms.Operations;

namespace KmsConsole.LocalKms.Iam;

/// <summary>
/// Whether a grant lets the caller do what its IAM policies do not: grants are resource-based permissions, so with no
/// explicit deny a grant on the key whose grantee is the caller (its role ARN or this role session's ARN) and whose
/// operations include the action allows the call, when the request's encryption context meets the grant's constraints
/// ("Grants in AWS KMS", "Using grant constraints"). RetireGrant is allowed to the grant's retiring principal and to a
/// grantee whose grant includes RetireGrant. A CreateGrant allowed by a constrained grant must ask for constraints at
/// least as strict. A grant to an account (its root) does not stand in for IAM policies of that account here.
/// </summary>
public sealed class GrantAuthorization(KeyRing ring)
{
    public bool Allows(IReadOnlyCollection<string> callerPrincipals, string action, string resourceArn, JsonElement body)
    {
        var operation = action.StartsWith("kms:", StringComparison.Ordinal) ? action[4..] : action;
        lock (ring.Gate)
        {
            if (operation == "RetireGrant" && RetiredGrant(body) is { } retired)
            {
                return retired.RetiringPrincipal is { } retiring && callerPrincipals.Contains(retiring)
                    || (callerPrincipals.Contains(retired.GranteePrincipal) && retired.Operations.Contains("RetireGrant"));
            }

            var keyId = resourceArn[(resourceArn.LastIndexOf('/') + 1)..];
            if (!resourceArn.Contains(":key/", StringComparison.Ordinal) || ring.Peek(keyId) is not { } key)
            {
                return false;
            }

            return key.Grants.Any(grant => callerPrincipals.Contains(grant.GranteePrincipal)
                && grant.Operations.Contains(operation)
                && ConstraintsMet(grant, operation, body));
        }
    }

    private static bool ConstraintsMet(KmsGrant grant, string operation, JsonElement body)
    {
        switch (operation)
        {
            case "DescribeKey" or "RetireGrant":
                return true;
            case "CreateGrant":
                return AtLeastAsStrict(grant, body);
            case "ReEncryptFrom":
                return grant.AllowsContext(Map(body, "SourceEncryptionContext"));
            case "ReEncryptTo":
                return grant.AllowsContext(Map(body, "DestinationEncryptionContext"));
            default:
                return grant.AllowsContext(Map(body, "EncryptionContext"));
        }
    }

    // "the constraint requires that any grants created with the CreateGrant permission have an equally strict or stricter encryption context constraint"
    private static bool AtLeastAsStrict(KmsGrant parent, JsonElement body)
    {
        var constraints = body.TryGetProperty("Constraints", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var childEquals = constraints.ValueKind == JsonValueKind.Object ? Map(constraints, "EncryptionContextEquals") : new Dictionary<string, string>();
        var childSubset = constraints.ValueKind == JsonValueKind.Object ? Map(constraints, "EncryptionContextSubset") : new Dictionary<string, string>();
        if (parent.EncryptionContextEquals is { } equals)
        {
            return childEquals.Count == equals.Count && KmsGrant.Contains(childEquals, equals);
        }

        if (parent.EncryptionContextSubset is { } subset)
        {
            return (childEquals.Count > 0 && KmsGrant.Contains(childEquals, subset)) || (childSubset.Count > 0 && KmsGrant.Contains(childSubset, subset));
        }

        return true;
    }

    private KmsGrant? RetiredGrant(JsonElement body)
    {
        string? keyId;
        string? grantId;
        if (Text(body, "GrantToken") is { } token && GrantOperations.Open(ring, token) is { } named && named.Region == ring.Region)
        {
            (keyId, grantId) = (named.KeyId, named.GrantId);
        }
        else
        {
            keyId = Text(body, "KeyId") is { } identifier ? identifier[(identifier.LastIndexOf('/') + 1)..] : null;
            grantId = Text(body, "GrantId");
        }

        return keyId is null || grantId is null ? null : ring.Peek(keyId)?.Grants.FirstOrDefault(g => g.GrantId == grantId);
    }

    private static Dictionary<string, string> Map(JsonElement body, string member)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in value.EnumerateObject())
            {
                if (entry.Value.ValueKind == JsonValueKind.String)
                {
                    map[entry.Name] = entry.Value.GetString()!;
                }
            }
        }

        return map;
    }

    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
