namespace KmsConsole.LocalKms.Keys;

/// <summary>A grant on a key: the grantee may call <see cref="Operations"/> on it, within the encryption context constraints.</summary>
public sealed class KmsGrant
{
    public required string GrantId { get; init; }

    public string? Name { get; init; }

    public required DateTimeOffset CreationDate { get; init; }

    public required string GranteePrincipal { get; init; }

    public string? RetiringPrincipal { get; init; }

    /// <summary>The principal that created the grant (the account root, as ListGrants' IssuingAccount reports it).</summary>
    public required string IssuingAccount { get; init; }

    public required List<string> Operations { get; init; }

    public Dictionary<string, string>? EncryptionContextSubset { get; init; }

    public Dictionary<string, string>? EncryptionContextEquals { get; init; }

    /// <summary>True when <paramref name="other"/> asks for exactly this grant (a retried CreateGrant with the same name).</summary>
    public bool SameAs(KmsGrant other) =>
        Name == other.Name && GranteePrincipal == other.GranteePrincipal && RetiringPrincipal == other.RetiringPrincipal
        && Operations.Order(StringComparer.Ordinal).SequenceEqual(other.Operations.Order(StringComparer.Ordinal), StringComparer.Ordinal)
        && SameMap(EncryptionContextSubset, other.EncryptionContextSubset) && SameMap(EncryptionContextEquals, other.EncryptionContextEquals);

    /// <summary>
    /// Whether the constraints allow a request with <paramref name="context"/> (Equals: exactly these pairs; Subset: at least these).
    /// A grant without constraints allows any context; constraints do not apply to DescribeKey, RetireGrant and CreateGrant's own check.
    /// </summary>
    public bool AllowsContext(IReadOnlyDictionary<string, string> context)
    {
        if (EncryptionContextEquals is { } equals && (equals.Count != context.Count || !Contains(context, equals)))
        {
            return false;
        }

        return EncryptionContextSubset is not { } subset || Contains(context, subset);
    }

    public static bool Contains(IReadOnlyDictionary<string, string> context, IReadOnlyDictionary<string, string> required) =>
        required.All(pair => context.TryGetValue(pair.Key, out var value) && value == pair.Value);

    private static bool SameMap(Dictionary<string, string>? a, Dictionary<string, string>? b) =>
        (a is null || a.Count == 0) ? b is null || b.Count == 0 : b is not null && a.Count == b.Count && Contains(b, a);
}
