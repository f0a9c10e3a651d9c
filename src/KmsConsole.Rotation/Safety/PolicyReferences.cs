using System.Text.Json;
using System.Text.Json.Nodes;

namespace KmsConsole.Rotation.Safety;

/// <summary>Where one policy statement names the old key or the alias.</summary>
/// <param name="NamesOldKey">The statement names the old key itself (its ARN or id): after the swap it still points at the old key.</param>
internal sealed record PolicyReference(string Statement, string Element, string Value, bool NamesOldKey);

/// <summary>
/// Reads a key policy or IAM policy document for statements that name the old key (Resource/NotResource ARNs, or any
/// condition value with its ARN or id) or the alias (the kms:ResourceAliases and kms:RequestAlias condition keys, or an
/// alias ARN as a resource). An alias condition follows the alias to the new key; a statement naming the old key's ARN
/// keeps pointing at the old key, so whatever it grants or denies stops applying to what callers use after the swap.
/// </summary>
internal static class PolicyReferences
{
    private static readonly string[] AliasConditionKeys = ["kms:ResourceAliases", "kms:RequestAlias"];

    public static IReadOnlyList<PolicyReference> Find(string? policyJson, string oldKeyArn, string oldKeyId, string? alias)
    {
        if (string.IsNullOrWhiteSpace(policyJson))
        {
            return [];
        }

        JsonNode? document;
        try
        {
            document = JsonNode.Parse(policyJson);
        }
        catch (JsonException)
        {
            return [];
        }

        var statements = document?["Statement"] switch
        {
            JsonArray array => array.OfType<JsonObject>().ToList(),
            JsonObject single => [single],
            _ => [],
        };
        var found = new List<PolicyReference>();
        for (var i = 0; i < statements.Count; i++)
        {
            var statement = statements[i];
            var name = statement["Sid"]?.GetValue<string>() is { Length: > 0 } sid ? $"\"{sid}\"" : $"#{i + 1}";
            foreach (var element in new[] { "Resource", "NotResource" })
            {
                foreach (var value in Strings(statement[element]))
                {
                    if (NamesKey(value, oldKeyArn, oldKeyId))
                    {
                        found.Add(new PolicyReference(name, element, value, NamesOldKey: true));
                    }
                    else if (alias is not null && value.EndsWith(":" + alias, StringComparison.Ordinal))
                    {
                        found.Add(new PolicyReference(name, element, value, NamesOldKey: false));
                    }
                }
            }

            if (statement["Condition"] is not JsonObject conditions)
            {
                continue;
            }

            foreach (var (op, block) in conditions)
            {
                if (block is not JsonObject keys)
                {
                    continue;
                }

                foreach (var (key, values) in keys)
                {
                    foreach (var value in Strings(values))
                    {
                        if (NamesKey(value, oldKeyArn, oldKeyId))
                        {
                            found.Add(new PolicyReference(name, $"Condition {op} {key}", value, NamesOldKey: true));
                        }
                        else if (alias is not null && AliasConditionKeys.Any(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
                                 && Matches(value, alias))
                        {
                            found.Add(new PolicyReference(name, $"Condition {op} {key}", value, NamesOldKey: false));
                        }
                    }
                }
            }
        }

        return found;
    }

    private static bool NamesKey(string value, string oldKeyArn, string oldKeyId) =>
        string.Equals(value, oldKeyArn, StringComparison.Ordinal) || value.EndsWith("key/" + oldKeyId, StringComparison.Ordinal) || value == oldKeyId;

    /// <summary>An exact alias name, or a pattern with * and ? as the String*Like condition operators read it.</summary>
    private static bool Matches(string pattern, string alias)
    {
        if (!pattern.Contains('*') && !pattern.Contains('?'))
        {
            return string.Equals(pattern, alias, StringComparison.Ordinal);
        }

        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(alias, regex, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(100));
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(v => v is JsonValue value && value.TryGetValue<string>(out var s) ? s : null).OfType<string>(),
        JsonValue value when value.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    /// <summary>
    /// The (principal, action) pairs a key policy allows, for comparing the new key's policy with the old one's. Only
    /// Allow statements with an AWS principal or "*" count; conditions are not compared (a difference there is not seen).
    /// </summary>
    public static IReadOnlySet<(string Principal, string Action)> Grants(string? policyJson)
    {
        var pairs = new HashSet<(string, string)>();
        if (string.IsNullOrWhiteSpace(policyJson))
        {
            return pairs;
        }

        JsonNode? document;
        try
        {
            document = JsonNode.Parse(policyJson);
        }
        catch (JsonException)
        {
            return pairs;
        }

        var statements = document?["Statement"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject single => [single],
            _ => [],
        };
        foreach (var statement in statements.Where(s => s["Effect"]?.GetValue<string>() == "Allow"))
        {
            var principals = statement["Principal"] switch
            {
                JsonValue star when star.TryGetValue<string>(out var s) => [s],
                JsonObject byType => byType.SelectMany(p => Strings(p.Value).Select(v => $"{p.Key}:{v}")),
                _ => [],
            };
            foreach (var principal in principals)
            {
                foreach (var action in Strings(statement["Action"]))
                {
                    pairs.Add((principal, action));
                }
            }
        }

        return pairs;
    }
}
