namespace KmsConsole.Web.Components.Campaigns;

/// <summary>Keys selected in the Keys list are the same key by target and key id, whatever a reload read since.</summary>
public sealed class KeySelection : IEqualityComparer<KeySnapshot>
{
    public static KeySelection Comparer { get; } = new();

    public static HashSet<KeySnapshot> Empty() => new(Comparer);

    public bool Equals(KeySnapshot? x, KeySnapshot? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.Target == y.Target && x.KeyId == y.KeyId);

    public int GetHashCode(KeySnapshot key) => HashCode.Combine(key.Target, key.KeyId);
}
