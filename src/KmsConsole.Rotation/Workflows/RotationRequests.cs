namespace KmsConsole.Rotation;

/// <summary>Requests, approvals, rejections, cancellations and roll backs; every check is made here, whatever calls it.</summary>
public sealed class RotationRequests
{
    public Task<PreflightPlan> PreflightAsync(RotationRequest request, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<Run> SubmitAsync(Actor requester, RotationRequest request, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task ApproveAsync(Actor approver, Guid runId, string? comment, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task RejectAsync(Actor approver, Guid runId, string comment, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task CancelAsync(Actor actor, Guid runId, string reason, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<Run> RequestRollBackAsync(Actor actor, Guid runId, string justification, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public IReadOnlyList<WorkflowKind> WorkflowsFor(KeySummary key) => throw new NotImplementedException();
}
