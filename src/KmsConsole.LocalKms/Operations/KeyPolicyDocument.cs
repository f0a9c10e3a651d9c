using System.Text;
using System.Text.Json;
using KmsConsole.LocalKms.Protocol;

namespace KmsConsole.LocalKms.Operations;

/// <summary>
/// The checks KMS makes on a key policy before it takes it: valid JSON object, at most 32 KB ("Key policy document size",
/// AWS KMS quotas), only the policy grammar's elements (Version, Id, Statement; per statement Sid, Effect, Principal,
/// NotPrincipal, Action, NotAction, Resource, NotResource, Condition), at least one statement, Effect Allow or Deny and a
/// principal in every statement; and, unless BypassPolicyLockoutSafetyCheck is set, the lockout safety check: the policy
/// must still let the account (root, "*" or an IAM principal of the account) call PutKeyPolicy. Every refusal is
/// MalformedPolicyDocumentException and changes nothing.
/// </summary>
public static class KeyPolicyDocument
{
    public const int MaxBytes = 32 * 1024;

    /// <summary>AWS's message when the lockout safety check fails.</summary>
    public const string LockoutMessage = "The new key policy will not allow you to update the key policy in the future.";

    private static readonly HashSet<string> TopLevel = new(StringComparer.Ordinal) { "Version", "Id", "Statement" };
    private static readonly HashSet<string> StatementElements = new(StringComparer.Ordinal)
        { "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition" };

    public static void Validate(string policy, string accountId, bool bypassLockoutSafetyCheck)
    {
        if (Encoding.UTF8.GetByteCount(policy) > MaxBytes)
        {
            throw Malformed($"The key policy exceeds the maximum size of {MaxBytes} bytes.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(policy);
        }
        catch (JsonException)
        {
            throw Malformed("The key policy is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Malformed("The key policy must be a JSON object.");
            }

            foreach (var element in root.EnumerateObject())
            {
                if (!TopLevel.Contains(element.Name))
                {
                    throw Malformed($"The key policy has an unknown element {element.Name}.");
                }
            }

            var statements = Statements(root);
            foreach (var statement in statements)
            {
                CheckStatement(statement);
            }

            if (!bypassLockoutSafetyCheck && !statements.Any(s => LetsAccountPutKeyPolicy(s, accountId)))
            {
                throw Malformed(LockoutMessage, prefix: false);
            }
        }
    }

    private static List<JsonElement> Statements(JsonElement root)
    {
        if (!root.TryGetProperty("Statement", out var statement))
        {
            throw Malformed("The key policy has no Statement.");
        }

        var list = statement.ValueKind switch
        {
            JsonValueKind.Array => statement.EnumerateArray().ToList(),
            JsonValueKind.Object => [statement],
            _ => throw Malformed("The key policy's Statement must be a statement or a list of statements."),
        };
        return list.Count == 0 ? throw Malformed("The key policy has no Statement.") : list;
    }

    private static void CheckStatement(JsonElement statement)
    {
        if (statement.ValueKind != JsonValueKind.Object)
        {
            throw Malformed("Each statement of the key policy must be a JSON object.");
        }

        foreach (var element in statement.EnumerateObject())
        {
            if (!StatementElements.Contains(element.Name))
            {
                throw Malformed($"A statement of the key policy has an unknown element {element.Name}.");
            }
        }

        if (!statement.TryGetProperty("Effect", out var effect) || effect.ValueKind != JsonValueKind.String || effect.GetString() is not ("Allow" or "Deny"))
        {
            throw Malformed("Each statement of the key policy must have Effect Allow or Deny.");
        }

        if (!statement.TryGetProperty("Principal", out _) && !statement.TryGetProperty("NotPrincipal", out _))
        {
            throw Malformed("Each statement of a key policy must name a Principal.");
        }

        if (!statement.TryGetProperty("Action", out _) && !statement.TryGetProperty("NotAction", out _))
        {
            throw Malformed("Each statement of the key policy must have an Action or NotAction.");
        }
    }

    // An unconditional Allow of kms:PutKeyPolicy (or a wildcard covering it) to a principal of this account.
    private static bool LetsAccountPutKeyPolicy(JsonElement statement, string accountId)
    {
        if (statement.GetProperty("Effect").GetString() != "Allow" || statement.TryGetProperty("Condition", out _)
            || !statement.TryGetProperty("Action", out var actions) || !statement.TryGetProperty("Principal", out var principal))
        {
            return false;
        }

        var coversAction = Strings(actions).Any(a => a is "*" or "kms:*" or "kms:PutKeyPolicy" or "kms:Put*"
            || string.Equals(a, "kms:putkeypolicy", StringComparison.OrdinalIgnoreCase));
        var principals = principal.ValueKind == JsonValueKind.String
            ? Strings(principal)
            : principal.ValueKind == JsonValueKind.Object && principal.TryGetProperty("AWS", out var aws) ? Strings(aws) : [];
        var coversAccount = principals.Any(p => p == "*" || p == accountId || p.StartsWith($"arn:aws:iam::{accountId}:", StringComparison.Ordinal)
            || p.StartsWith($"arn:aws:sts::{accountId}:", StringComparison.Ordinal));
        return coversAction && coversAccount;
    }

    private static List<string> Strings(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.Array => [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)],
        _ => [],
    };

    private static KmsException Malformed(string detail, bool prefix = true) =>
        KmsErrors.MalformedPolicy(prefix ? "The request was rejected because the specified policy is not syntactically or semantically correct. " + detail : detail);
}
