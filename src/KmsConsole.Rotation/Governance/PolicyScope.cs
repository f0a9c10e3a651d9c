using Amazon.KeyManagementService;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// Which keys a policy speaks of. Every list left empty means "any"; a key must match every list that is not empty
/// (any one value of it), every tag, the alias prefix and the description text, and must not be excluded.
/// </summary>
public sealed record PolicyScope
{
    /// <summary>Console target names (Rotation:Targets).</summary>
    public List<string> Targets { get; init; } = [];

    /// <summary>AWS Regions, read from the key's ARN.</summary>
    public List<string> Regions { get; init; } = [];

    /// <summary>Key origins (<see cref="OriginType"/> values).</summary>
    public List<string> Origins { get; init; } = [];

    /// <summary>Key specs (<see cref="KeySpec"/> values).</summary>
    public List<string> KeySpecs { get; init; } = [];

    /// <summary>Key managers (<see cref="KeyManagerType"/> values).</summary>
    public List<string> KeyManagers { get; init; } = [];

    /// <summary>Tags the key must carry, each "key=value".</summary>
    public List<string> Tags { get; init; } = [];

    /// <summary>Some alias of the key starts with this (e.g. "alias/payments-").</summary>
    public string? AliasPrefix { get; init; }

    /// <summary>The key's description contains this text (ignoring case).</summary>
    public string? DescriptionContains { get; init; }

    /// <summary>Keys left out by key id, key ARN or alias name.</summary>
    public List<string> Exclusions { get; init; } = [];

    /// <summary>The scope in a few words, for the policy list and the audit trail.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        Add("targets", Targets);
        Add("Regions", Regions);
        Add("origin", Origins);
        Add("key spec", KeySpecs);
        Add("key manager", KeyManagers);
        Add("tags", Tags);
        if (AliasPrefix is { Length: > 0 })
        {
            parts.Add($"alias starts with {AliasPrefix}");
        }

        if (DescriptionContains is { Length: > 0 })
        {
            parts.Add($"description contains \"{DescriptionContains}\"");
        }

        Add("except", Exclusions);
        return parts.Count == 0 ? "every key" : string.Join("; ", parts);

        void Add(string what, List<string> values)
        {
            if (values.Count > 0)
            {
                parts.Add($"{what} {string.Join(", ", values)}");
            }
        }
    }

    /// <summary>Why the key is outside the scope by what every listed key has (target, ARN, aliases); null when it is not.</summary>
    internal string? WhyOutsideByName(KeySnapshot key)
    {
        if (Targets.Count > 0 && !Targets.Contains(key.Target, StringComparer.OrdinalIgnoreCase))
        {
            return $"target {key.Target} is not in the scope";
        }

        if (Regions.Count > 0 && RegionOf(key.Arn) is var region && !Regions.Contains(region ?? "", StringComparer.OrdinalIgnoreCase))
        {
            return $"Region {region ?? "unknown"} is not in the scope";
        }

        var aliases = Exclusions.Count > 0 || AliasPrefix is { Length: > 0 } ? AliasesOf(key) : [];
        if (Exclusions.Count > 0 && Exclusions.Any(e => e == key.KeyId || e == key.Arn || aliases.Contains(e)))
        {
            return "the key is excluded by the policy";
        }

        if (AliasPrefix is { Length: > 0 } prefix && !aliases.Any(a => a.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return $"no alias starts with {prefix}";
        }

        return null;
    }

    /// <summary>Why the key is outside the scope by its details (origin, spec, manager, tags, description); null when it is inside.</summary>
    internal string? WhyOutsideByDetails(KeySnapshot key)
    {
        if (Origins.Count > 0 && !Origins.Contains(key.Origin, StringComparer.Ordinal))
        {
            return $"origin {key.Origin} is not in the scope";
        }

        if (KeySpecs.Count > 0 && !KeySpecs.Contains(key.KeySpec, StringComparer.Ordinal))
        {
            return $"key spec {key.KeySpec} is not in the scope";
        }

        if (KeyManagers.Count > 0 && !KeyManagers.Contains(key.KeyManager, StringComparer.Ordinal))
        {
            return $"key manager {key.KeyManager} is not in the scope";
        }

        if (DescriptionContains is { Length: > 0 } text && !key.Description.Contains(text, StringComparison.OrdinalIgnoreCase))
        {
            return $"the description does not contain \"{text}\"";
        }

        foreach (var tag in Tags)
        {
            var (tagKey, value) = SplitTag(tag);
            if (key.Tags is { } tags && !(tags.TryGetValue(tagKey, out var actual) && actual == value))
            {
                return $"the key is not tagged {tag}";
            }
        }

        return null;
    }

    /// <summary>The scope asks for tags and the last sync could not read the key's tags.</summary>
    internal bool NeedsTagsOf(KeySnapshot key) => Tags.Count > 0 && key.Tags is null;

    /// <summary>"k=v" split at its first '=' (a tag key never holds one in the scope's syntax; a value may).</summary>
    internal static (string Key, string Value) SplitTag(string tag)
    {
        var at = tag.IndexOf('=', StringComparison.Ordinal);
        return at < 0 ? (tag, "") : (tag[..at], tag[(at + 1)..]);
    }

    /// <summary>arn:aws:kms:REGION:ACCOUNT:key/ID → REGION.</summary>
    internal static string? RegionOf(string arn)
    {
        var rest = arn.AsSpan();
        for (var field = 0; field < 3; field++)
        {
            var colon = rest.IndexOf(':');
            if (colon < 0)
            {
                return null;
            }

            rest = rest[(colon + 1)..];
        }

        var end = rest.IndexOf(':');
        return end > 0 ? rest[..end].ToString() : null;
    }

    internal static string[] AliasesOf(KeySnapshot key) =>
        key.Aliases.Length == 0 ? [] : key.Aliases.Split(", ", StringSplitOptions.RemoveEmptyEntries);
}
