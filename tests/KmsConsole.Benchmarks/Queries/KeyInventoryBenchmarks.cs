using BenchmarkDotNet.Attributes;
using KmsConsole.Rotation;

namespace KmsConsole.Benchmarks.Queries;

/// <summary>
/// The Keys page's queries (25 rows a page) through <see cref="KeyInventory.QueryAsync"/> over the seeded
/// key snapshots: count and page in SQL, as the page asks on every filter, sort or page change.
/// </summary>
[MemoryDiagnoser]
public class KeyInventoryBenchmarks
{
    private KeyInventory _inventory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _inventory = QueryDatabase.Instance.Inventory;
        _inventory.QueryAsync(new KeyQuery()).GetAwaiter().GetResult();
    }

    [Benchmark(Description = "first page, alias order")]
    public Task<PagedResult<KeySnapshot>> FirstPage() => _inventory.QueryAsync(new KeyQuery());

    [Benchmark(Description = "last page, alias order")]
    public Task<PagedResult<KeySnapshot>> LastPage() => _inventory.QueryAsync(new KeyQuery { Page = (QueryDatabase.KeyCount - 1) / 25 });

    [Benchmark(Description = "search 'service-042', key id desc, page 2")]
    public Task<PagedResult<KeySnapshot>> Search() =>
        _inventory.QueryAsync(new KeyQuery { Search = "service-042", SortBy = KeySortField.KeyId, Descending = true, Page = 1, PageSize = 10 });

    [Benchmark(Description = "origin EXTERNAL + expiring 30 d, by valid-to")]
    public Task<PagedResult<KeySnapshot>> ExpiringImported() =>
        _inventory.QueryAsync(new KeyQuery { Origin = "EXTERNAL", ExpiringWithinDays = 30, SortBy = KeySortField.ValidTo });

    [Benchmark(Description = "rotation on, by next rotation")]
    public Task<PagedResult<KeySnapshot>> Rotating() =>
        _inventory.QueryAsync(new KeyQuery { RotationEnabled = true, SortBy = KeySortField.NextRotationDate });

    [Benchmark(Description = "state Disabled, by creation desc")]
    public Task<PagedResult<KeySnapshot>> Disabled() =>
        _inventory.QueryAsync(new KeyQuery { KeyState = "Disabled", SortBy = KeySortField.CreationDate, Descending = true });

    [Benchmark(Description = "rotation off, by origin, page 200")]
    public Task<PagedResult<KeySnapshot>> DeepPage() =>
        _inventory.QueryAsync(new KeyQuery { RotationEnabled = false, SortBy = KeySortField.Origin, Page = 200 });
}
