using System.Text;
using System.Text.Json;

// This one file, in its neutral home src/Shared/Iam, is linked into KmsConsole.Rotation (client-side preflight) and,
// with its own namespace, into KmsConsole.LocalKms (the local IAM endpoint's SimulatePrincipalPolicy and KMS enforcement): neither
// project may reference the other, and one source keeps the two answers the same.
#if KMSCONSOLE_LOCALKMS
namespace KmsConsole.LocalKms.Iam;
#else
namespace KmsConsole.Rotation.Iam;
#endif

/// <summary>IAM's three answers for one action on one resource (the wire values are allowed, explicitDeny, implicitDeny).</summary>
public enum PermissionDecision
{
    Allowed,
    ImplicitDeny,
    ExplicitDeny,
}

public enum PolicyEffect
{
    Allow,
    Deny,
}

/// <summary>One statement of an identity-based policy, with its position in the JSON text (1-based line and column).</summary>
public sealed record IamPolicyStatement(
    string? Sid,
    PolicyEffect Effect,
    IReadOnlyList<string> Actions,
    bool IsNotAction,
    IReadOnlyList<string> Resources,
    bool IsNotResource,
    IReadOnlyList<string> ConditionKeys,
    int StartLine,
    int StartColumn,
    int EndLine,
    int EndColumn)
{
    public bool HasCondition => ConditionKeys.Count > 0;
}

public sealed record IamPolicyDocument(string? Version, IReadOnlyList<IamPolicyStatement> Statements)
{
    /// <summary>
    /// Parses and validates an identity-based policy the way IAM's CreatePolicy/PutRolePolicy do; the
    /// exception messages are IAM's MalformedPolicyDocument messages.
    /// </summary>
    public static IamPolicyDocument Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException)
        {
            throw new IamPolicyDocumentException("Syntax errors in policy.");
        }

        using (parsed)
        {
            var root = parsed.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new IamPolicyDocumentException("Syntax errors in policy.");
            }

            string? version = null;
            JsonElement? statementElement = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "Version":
                        version = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new IamPolicyDocumentException("Syntax errors in policy.");
                        break;
                    case "Statement":
                        statementElement = property.Value;
                        break;
                    case "Id":
                        break;
                    default:
                        throw new IamPolicyDocumentException("Syntax errors in policy.");
                }
            }

            if (version is not null && version != "2012-10-17" && version != "2008-10-17")
            {
                throw new IamPolicyDocumentException("Syntax errors in policy.");
            }

            if (statementElement is not { } statements || statements.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
            {
                throw new IamPolicyDocumentException("Syntax errors in policy.");
            }

            var spans = StatementSpans(json);
            var items = statements.ValueKind == JsonValueKind.Array ? statements.EnumerateArray().ToList() : [statements];
            if (items.Count == 0)
            {
                throw new IamPolicyDocumentException("Syntax errors in policy.");
            }

            var result = new List<IamPolicyStatement>(items.Count);
            var sids = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < items.Count; i++)
            {
                var span = i < spans.Count ? spans[i] : (1, 1, 1, 1);
                var statement = ParseStatement(items[i], span);
                if (statement.Sid is { Length: > 0 } sid && !sids.Add(sid))
                {
                    throw new IamPolicyDocumentException("Statement IDs (SID) in a single policy must be unique.");
                }

                result.Add(statement);
            }

            return new IamPolicyDocument(version, result);
        }
    }

    private static IamPolicyStatement ParseStatement(JsonElement element, (int StartLine, int StartColumn, int EndLine, int EndColumn) span)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new IamPolicyDocumentException("Syntax errors in policy.");
        }

        string? sid = null;
        PolicyEffect? effect = null;
        List<string>? actions = null, notActions = null, resources = null, notResources = null;
        var conditionKeys = new List<string>();
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "Sid":
                    sid = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new IamPolicyDocumentException("Syntax errors in policy.");
                    break;
                case "Effect":
                    effect = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() switch
                    {
                        "Allow" => PolicyEffect.Allow,
                        "Deny" => PolicyEffect.Deny,
                        _ => throw new IamPolicyDocumentException("Syntax errors in policy."),
                    } : throw new IamPolicyDocumentException("Syntax errors in policy.");
                    break;
                case "Action":
                    actions = StringOrList(property.Value);
                    break;
                case "NotAction":
                    notActions = StringOrList(property.Value);
                    break;
                case "Resource":
                    resources = StringOrList(property.Value);
                    break;
                case "NotResource":
                    notResources = StringOrList(property.Value);
                    break;
                case "Principal":
                case "NotPrincipal":
                    throw new IamPolicyDocumentException("Policy document should not specify a principal.");
                case "Condition":
                    if (property.Value.ValueKind != JsonValueKind.Object)
                    {
                        throw new IamPolicyDocumentException("Syntax errors in policy.");
                    }

                    foreach (var op in property.Value.EnumerateObject())
                    {
                        if (op.Value.ValueKind != JsonValueKind.Object)
                        {
                            throw new IamPolicyDocumentException("Syntax errors in policy.");
                        }

                        conditionKeys.AddRange(op.Value.EnumerateObject().Select(k => k.Name));
                    }

                    break;
                default:
                    throw new IamPolicyDocumentException("Syntax errors in policy.");
            }
        }

        if (effect is null)
        {
            throw new IamPolicyDocumentException("Syntax errors in policy.");
        }

        if ((actions is null) == (notActions is null))
        {
            throw new IamPolicyDocumentException(actions is null ? "Policy statement must contain actions." : "Syntax errors in policy.");
        }

        if ((resources is null) == (notResources is null))
        {
            throw new IamPolicyDocumentException(resources is null ? "Policy statement must contain resources." : "Syntax errors in policy.");
        }

        foreach (var action in actions ?? notActions!)
        {
            if (action != "*" && (action.IndexOf(':') is var colon && (colon <= 0 || colon == action.Length - 1)))
            {
                throw new IamPolicyDocumentException("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
            }
        }

        foreach (var resource in resources ?? notResources!)
        {
            if (resource != "*" && !resource.StartsWith("arn:", StringComparison.Ordinal))
            {
                throw new IamPolicyDocumentException($"Resource {resource} must be in ARN format or \"*\".");
            }
        }

        return new IamPolicyStatement(sid, effect.Value, actions ?? notActions!, notActions is not null, resources ?? notResources!, notResources is not null,
            conditionKeys, span.StartLine, span.StartColumn, span.EndLine, span.EndColumn);
    }

    private static List<string> StringOrList(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return [value.GetString()!];
        }

        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0 && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String))
        {
            return value.EnumerateArray().Select(v => v.GetString()!).ToList();
        }

        throw new IamPolicyDocumentException("Syntax errors in policy.");
    }

    // Where each statement object starts and ends in the text, for SimulatePrincipalPolicy's
    // MatchedStatements/StartPosition and EndPosition (1-based line and column, as IAM reports them).
    private static List<(int, int, int, int)> StatementSpans(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes);
        var spans = new List<(int, int, int, int)>();
        var inStatement = false;
        var statementDepth = -1;
        long start = 0;
        while (reader.Read())
        {
            if (!inStatement)
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("Statement"))
                {
                    inStatement = true;
                    reader.Read();
                    statementDepth = reader.TokenType == JsonTokenType.StartArray ? reader.CurrentDepth + 1 : reader.CurrentDepth;
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        start = reader.TokenStartIndex;
                    }
                    else if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        break;
                    }
                }

                continue;
            }

            if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == statementDepth)
            {
                start = reader.TokenStartIndex;
            }
            else if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == statementDepth)
            {
                var (sl, sc) = LineColumn(bytes, start);
                var (el, ec) = LineColumn(bytes, reader.TokenStartIndex);
                spans.Add((sl, sc, el, ec + 1));
                if (statementDepth == 1)
                {
                    break;
                }
            }
            else if (reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == statementDepth - 1)
            {
                break;
            }
        }

        return spans;
    }

    private static (int Line, int Column) LineColumn(byte[] bytes, long index)
    {
        int line = 1, column = 1;
        for (var i = 0; i < index; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
                column = 1;
            }
            else if ((bytes[i] & 0xC0) != 0x80)
            {
                column++;
            }
        }

        return (line, column);
    }
}

/// <summary>A policy document IAM would refuse; the message is IAM's MalformedPolicyDocument message.</summary>
public sealed class IamPolicyDocumentException(string message) : Exception(message);

/// <summary>
/// A policy taking part in an evaluation. <paramref name="Type"/> uses IAM's PolicySourceType words:
/// "role" for an inline role policy, "user-managed" / "aws-managed" for managed policies, "none" for extra input.
/// </summary>
public sealed record IamPolicySource(string Id, string Type, IamPolicyDocument Document);

public sealed record IamPolicyMatch(IamPolicySource Source, IamPolicyStatement Statement);

public sealed record IamPolicyOutcome(PermissionDecision Decision, IReadOnlyList<IamPolicyMatch> MatchedStatements, IReadOnlyList<string> MissingContextValues)
{
    /// <summary>The policy that decided: the first deny for an explicit deny, the first allow otherwise; null for an implicit deny.</summary>
    public IamPolicySource? DecidingPolicy => MatchedStatements.Count > 0 ? MatchedStatements[0].Source : null;
}

/// <summary>
/// IAM's identity-policy evaluation for one action on one resource: a statement applies when its Action (or
/// NotAction) and Resource (or NotResource) match; an applying Deny wins over every Allow; with no applying
/// Allow the answer is an implicit deny. Actions match case-insensitively, resources case-sensitively, both
/// with the * and ? wildcards. Condition blocks are not evaluated: like IAM's policy simulator given no
/// context values, a statement with a Condition does not apply and its keys are reported as missing context
/// values. Resource policies (KMS key policies), permissions boundaries and SCPs are out of scope: the
/// default key policy delegates to IAM, which is what this answers for.
/// </summary>
public static class IamPolicyEvaluator
{
    public static IamPolicyOutcome Evaluate(IEnumerable<IamPolicySource> policies, string action, string resource)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var allows = new List<IamPolicyMatch>();
        var denies = new List<IamPolicyMatch>();
        var missing = new List<string>();
        foreach (var policy in policies)
        {
            foreach (var statement in policy.Document.Statements)
            {
                if (!Applies(statement, action, resource))
                {
                    continue;
                }

                if (statement.HasCondition)
                {
                    foreach (var key in statement.ConditionKeys)
                    {
                        if (!missing.Contains(key, StringComparer.OrdinalIgnoreCase))
                        {
                            missing.Add(key);
                        }
                    }

                    continue;
                }

                (statement.Effect == PolicyEffect.Deny ? denies : allows).Add(new IamPolicyMatch(policy, statement));
            }
        }

        if (denies.Count > 0)
        {
            return new IamPolicyOutcome(PermissionDecision.ExplicitDeny, denies, missing);
        }

        return allows.Count > 0
            ? new IamPolicyOutcome(PermissionDecision.Allowed, allows, missing)
            : new IamPolicyOutcome(PermissionDecision.ImplicitDeny, [], missing);
    }

    public static bool Applies(IamPolicyStatement statement, string action, string resource)
    {
        var actionMatches = statement.Actions.Any(pattern => ActionMatches(pattern, action));
        if (statement.IsNotAction ? actionMatches : !actionMatches)
        {
            return false;
        }

        var resourceMatches = statement.Resources.Any(pattern => ResourceMatches(pattern, resource));
        return statement.IsNotResource ? !resourceMatches : resourceMatches;
    }

    /// <summary>"kms:Update*" matches "kms:UpdateAlias"; service prefix and action name ignore case, as in IAM.</summary>
    public static bool ActionMatches(string pattern, string action) => Glob(pattern, action, ignoreCase: true);

    /// <summary>
    /// ARN matching: "*" alone matches anything; otherwise the six ARN segments (arn:partition:service:region:account:resource)
    /// are matched one by one, and wildcards in a segment do not run into the next one (the resource segment,
    /// which may itself hold ':' and '/', is matched as a whole).
    /// </summary>
    public static bool ResourceMatches(string pattern, string resource)
    {
        if (pattern == "*")
        {
            return true;
        }

        var patternParts = pattern.Split(':', 6);
        var resourceParts = resource.Split(':', 6);
        if (patternParts.Length != 6 || resourceParts.Length != 6)
        {
            return Glob(pattern, resource, ignoreCase: false);
        }

        for (var i = 0; i < 6; i++)
        {
            if (!Glob(patternParts[i], resourceParts[i], ignoreCase: false))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Glob(string pattern, string text, bool ignoreCase)
    {
        // Iterative wildcard match with backtracking to the last '*': linear in practice, no regex.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || CharEquals(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool CharEquals(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
