using System.Text.RegularExpressions;
using KmsConsole.LocalKms.Storage;

namespace KmsConsole.LocalKms.Keys;

/// <summary>
/// One key ring per Region, as AWS keeps keys and aliases per Region: the home Region's in the data folder's database,
/// every other Region's in regions/&lt;region&gt;/, opened on first use and sealed under the same master key. All rings
/// share one gate, so an operation on a multi-Region key may read and change its copies in other Regions. A
/// multi-Region primary shares its key material and automatic rotation with its replicas ("shared properties",
/// AWS KMS Developer Guide); everything else (policy, tags, aliases, grants, key state) is each Region's own.
/// </summary>
public sealed partial class RegionalKeyRings : IDisposable
{
    private readonly Dictionary<string, KeyRing> _rings = new(StringComparer.Ordinal);
    private readonly string _dataDirectory;
    private readonly Func<DateTimeOffset> _now;
    private bool _disposed;

    public RegionalKeyRings(KeyRing home, string dataDirectory, Func<DateTimeOffset> now)
    {
        Home = home;
        _dataDirectory = dataDirectory;
        _now = now;
        home.Regions = this;
        _rings[home.Region] = home;
        foreach (var region in KmsDatabase.StoredRegions(dataDirectory))
        {
            if (IsRegionName(region))
            {
                For(region);
            }
        }
    }

    public KeyRing Home { get; }

    public object Gate => Home.Gate;

    /// <summary>Every Region holding state, the home Region first.</summary>
    public IReadOnlyList<KeyRing> All
    {
        get
        {
            lock (Gate)
            {
                return [Home, .. _rings.Values.Where(r => r != Home).OrderBy(r => r.Region, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The model's Region pattern (ReplicaRegion, PrimaryRegion): ^([a-z]+-){2,3}\d+$.</summary>
    [GeneratedRegex(@"^([a-z]+-){2,3}\d+$")]
    public static partial Regex RegionPattern();

    public static bool IsRegionName(string region) => region.Length <= 32 && RegionPattern().IsMatch(region);

    /// <summary>The ring of <paramref name="region"/>; a name that is no Region (or none) means the home Region.</summary>
    public KeyRing For(string? region)
    {
        if (region is null || !IsRegionName(region))
        {
            return Home;
        }

        lock (Gate)
        {
            if (!_rings.TryGetValue(region, out var ring))
            {
                var database = KmsDatabase.OpenRegion(_dataDirectory, region, Home.Database.MasterKey);
                database.BeginTracking(_now());
                ring = new KeyRing(database, region, Home.AccountId, Gate) { Regions = this };
                ring.Load();
                _rings[region] = ring;
            }

            return ring;
        }
    }

    /// <summary>After a change to a multi-Region primary: its replicas take its material and rotation settings.</summary>
    public void Share(KeyRing source, KmsKey key)
    {
        if (!key.MultiRegion || key.PrimaryRegion != source.Region)
        {
            return;
        }

        foreach (var region in key.ReplicaRegions)
        {
            var ring = For(region);
            if (ring.Peek(key.KeyId) is { } replica)
            {
                CopySharedProperties(key, replica);
                ring.Database.SaveKey(replica);
            }
        }
    }

    /// <summary>Before a replica is used: due changes of its primary (an automatic rotation) reach it first.</summary>
    public void CatchUpWithPrimary(KeyRing ring, KmsKey key, DateTimeOffset now)
    {
        if (key.MultiRegion && key.PrimaryRegion is { } primaryRegion && primaryRegion != ring.Region && _rings.ContainsKey(primaryRegion))
        {
            _ = For(primaryRegion).Find(key.KeyId, now);
        }
    }

    /// <summary>A key of a multi-Region set is gone: the other copies no longer list its Region.</summary>
    public void Forget(KeyRing ring, KmsKey key)
    {
        if (!key.MultiRegion)
        {
            return;
        }

        foreach (var other in _rings.Values.Where(r => r != ring))
        {
            if (other.Peek(key.KeyId) is { } copy && copy.ReplicaRegions.Remove(ring.Region))
            {
                other.Database.SaveKey(copy);
            }
        }
    }

    /// <summary>The primary's key material, key spec, usage and rotation status, as AWS synchronises them.</summary>
    public static void CopySharedProperties(KmsKey primary, KmsKey replica)
    {
        replica.Materials = [.. primary.Materials.Select(Clone)];
        replica.RotationEnabled = primary.RotationEnabled;
        replica.RotationPeriodInDays = primary.RotationPeriodInDays;
        replica.NextRotationDate = primary.NextRotationDate;
        replica.OnDemandRotationCount = primary.OnDemandRotationCount;
        replica.PrimaryRegion = primary.PrimaryRegion;
        replica.ReplicaRegions = [.. primary.ReplicaRegions];
    }

    private static KeyMaterialVersion Clone(KeyMaterialVersion material) => new()
    {
        MaterialId = material.MaterialId,
        CreatedAt = material.CreatedAt,
        State = material.State,
        RotationDate = material.RotationDate,
        RotationType = material.RotationType,
        ImportState = material.ImportState,
        ExpirationModel = material.ExpirationModel,
        ValidTo = material.ValidTo,
        Description = material.Description,
        Secret = material.Secret is null ? null : (byte[])material.Secret.Clone(),
    };

    /// <summary>Writes every Region's unsaved key uses (see <see cref="KeyRing.RecordUsage"/>); a no-op once disposed.</summary>
    public void FlushUsage()
    {
        lock (Home.Gate)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var ring in All)
            {
                ring.FlushUsage();
            }
        }
    }

    /// <summary>Flushes unsaved key uses, then closes the other Regions' databases (the home one belongs to the runtime).</summary>
    public void Dispose()
    {
        FlushUsage();
        lock (Home.Gate)
        {
            _disposed = true;
            foreach (var ring in _rings.Values.Where(r => r != Home))
            {
                ring.Database.Dispose();
            }
        }
    }
}
