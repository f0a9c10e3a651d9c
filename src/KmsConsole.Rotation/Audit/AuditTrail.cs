namespace KmsConsole.Rotation;

public sealed class AuditTrail
{
    public Task<PagedResult<AuditEvent>> QueryAsync(Actor actor, AuditFilter filter, int page, int pageSize, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task ExportCsvAsync(Actor actor, Stream output, AuditFilter filter, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<AuditChainVerification> VerifyAsync(Actor actor, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
