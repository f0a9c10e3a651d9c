using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Operations;

/// <summary>The console's database answers and has every migration of this build applied.</summary>
internal sealed class DatabaseHealthCheck(RotationDatabase database, IOptions<RotationOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["provider"] = options.Value.Database.Provider };
        try
        {
            var (reachable, pending) = await database.CheckAsync(cancellationToken);
            return !reachable ? HealthCheckResult.Unhealthy("The database does not answer.", data: data)
                : pending.Count > 0 ? HealthCheckResult.Unhealthy($"{pending.Count} migration(s) of this version are not applied yet: {string.Join(", ", pending)}.", data: data)
                : HealthCheckResult.Healthy("The database answers and is migrated.", data);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The exception's message may name hosts and users of the connection string; its type says enough here.
            return HealthCheckResult.Unhealthy($"The database could not be reached ({e.GetType().Name}).", data: data);
        }
    }
}

/// <summary>
/// Each KMS target answers a ListKeys of one key within a few seconds. A refusal (access denied) is an answer; only
/// silence, 5xx and throttling past the call's retries are not. Degraded when some targets answer, Unhealthy when none does.
/// </summary>
internal sealed class KmsTargetsHealthCheck(IKmsClientFactory clients, IOptions<RotationOptions> options) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var targets = options.Value.Targets;
        if (targets.Count == 0)
        {
            return HealthCheckResult.Unhealthy("No KMS target is configured (Rotation:Targets).");
        }

        var answers = await Task.WhenAll(targets.Select(t => AskAsync(t, cancellationToken)));
        var data = targets.Zip(answers).ToDictionary(p => $"{p.First.Name} ({p.First.Region})", p => (object)p.Second.Status);
        var silent = answers.Count(a => !a.Answered);
        return silent == 0 ? HealthCheckResult.Healthy($"Every KMS target answers ({targets.Count}).", data)
            : silent < targets.Count ? HealthCheckResult.Degraded($"{silent} of {targets.Count} KMS targets do not answer.", data: data)
            : HealthCheckResult.Unhealthy("No KMS target answers.", data: data);
    }

    private async Task<(bool Answered, string Status)> AskAsync(KmsTarget target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await clients.Create(target.Name).ListKeysAsync(new ListKeysRequest { Limit = 1 }, timeout.Token);
            return (true, "answers");
        }
        catch (AmazonKeyManagementServiceException e) when ((int)e.StatusCode is >= 400 and < 500 && e.ErrorCode != "ThrottlingException")
        {
            return (true, $"answers, refusing: {e.ErrorCode}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, $"no answer within {Timeout.TotalSeconds:F0} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (false, e is Amazon.Runtime.AmazonServiceException { ErrorCode: { Length: > 0 } code } ? code : e.GetType().Name);
        }
    }
}

/// <summary>The orchestrator loop of this instance runs: it is working on runs or polled within three poll intervals.</summary>
internal sealed class OrchestratorHealthCheck(OrchestratorLiveness liveness, IOptions<RotationOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var orchestrator = options.Value.Orchestrator;
        var data = new Dictionary<string, object> { ["instance"] = orchestrator.InstanceId };
        if (!orchestrator.Enabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("The orchestrator is off on this instance (Rotation:Orchestrator:Enabled).", data));
        }

        var allowed = TimeSpan.FromTicks(Math.Max(orchestrator.PollInterval.Ticks * 3, TimeSpan.FromSeconds(30).Ticks));
        if (liveness.LastPassAt is { } last)
        {
            data["lastPass"] = last.ToString("O");
        }

        return Task.FromResult(
            !liveness.Running ? HealthCheckResult.Unhealthy("The orchestrator loop is not running.", data: data)
            : liveness.InPass ? HealthCheckResult.Healthy("The orchestrator is working on runs.", data)
            : liveness.LastPassAt is { } at && time.GetUtcNow() - at <= allowed ? HealthCheckResult.Healthy("The orchestrator polls for runs.", data)
            : HealthCheckResult.Unhealthy($"The orchestrator has not polled for {allowed.TotalSeconds:F0} s.", data: data));
    }
}
