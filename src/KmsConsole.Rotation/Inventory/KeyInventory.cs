namespace KmsConsole.Rotation;

public sealed class KeyInventory
{
    public Task SyncAsync(IProgress<InventorySyncProgress>? progress, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<PagedResult<KeySnapshot>> QueryAsync(KeyQuery query, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<KeyDetail> GetDetailAsync(string target, string keyId, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<DashboardCounts> GetDashboardAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
