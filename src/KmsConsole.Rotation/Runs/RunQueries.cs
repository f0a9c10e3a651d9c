namespace KmsConsole.Rotation;

public sealed class RunQueries
{
    public Task<PagedResult<RunSummary>> ListAsync(RunFilter filter, int page, int pageSize, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<Run?> GetAsync(Guid id, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<RunSummary>> AwaitingApprovalByAsync(Actor approver, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<RunSummary>> ForKeyAsync(string target, string keyId, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
