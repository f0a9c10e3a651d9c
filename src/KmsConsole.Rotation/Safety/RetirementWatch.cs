using Amazon.KeyManagementService.Model;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Safety;

/// <summary>
/// Staged retirements: lets runs waiting at their watch step through again when their next check is due (the step then
/// reads the key's last use), and re-enables a watched key in one click for an approver, audited.
/// </summary>
public sealed class RetirementWatch
{
    private readonly RotationStore _store;
    private readonly IWorkflowCatalog _catalog;
    private readonly IKmsClientFactory _clients;
    private readonly RunChangeFeed _feed;
    private readonly RotationOptions _options;

    internal RetirementWatch(RotationStore store, IWorkflowCatalog catalog, IKmsClientFactory clients, RunChangeFeed feed, IOptions<RotationOptions> options)
    {
        _store = store;
        _catalog = catalog;
        _clients = clients;
        _feed = feed;
        _options = options.Value;
    }

    /// <summary>Queues every watched run whose next check is due; returns how many.</summary>
    public async Task<int> CheckDueAsync(CancellationToken cancellationToken = default)
    {
        var now = _store.Time.GetUtcNow();
        var due = new List<Guid>();
        await _store.WriteAsync(async (db, _) =>
        {
            var waiting = await db.Runs.Include(r => r.Steps).Include(r => r.Approvals).AsSplitQuery()
                .Where(r => r.State == RunState.AwaitingApproval).ToListAsync(cancellationToken);
            foreach (var run in waiting)
            {
                run.Steps.Sort((a, b) => a.Index.CompareTo(b.Index));
                if (IsWatching(run) && RetirementWatchStep.TryTime(run.Values.GetValueOrDefault(RetirementWatchStep.NextCheckValue), out var next) && next <= now)
                {
                    run.PassGate();
                    run.Version = Guid.NewGuid();
                    due.Add(run.Id);
                }
            }
        }, cancellationToken);
        foreach (var id in due)
        {
            _feed.Publish(id);
        }

        return due.Count;
    }

    /// <summary>The run is waiting at the watch of a staged retirement.</summary>
    public bool IsWatching(Run run) =>
        run.State == RunState.AwaitingApproval && _catalog.StepsFor(run) is var steps && run.CurrentStepIndex < steps.Count
        && steps[run.CurrentStepIndex].Key == SafetyStepKey.RetirementWatch;

    /// <summary>An approver may re-enable the old key of a staged retirement that is being watched or was stopped by its watch.</summary>
    public bool MayReEnable(Actor actor, Run run) =>
        actor.IsIn(_options.PolicyFor(run.Workflow).ApproverRole) && run.Parameters.OldKeyFate == OldKeyFate.StagedRetirement
        && (IsWatching(run) || run.State == RunState.Failed && StoppedByWatch(run));

    /// <summary>
    /// EnableKey on the run's old key, and on each of its replicas that is Disabled (a multi-Region primary's); audited. A
    /// watch still running then stops at its next check (the key is no longer Disabled).
    /// </summary>
    public async Task ReEnableAsync(Actor approver, Guid runId, string reason, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new RotationRefusedException("Say why the old key is enabled again.", kind: RefusalKind.Invalid) { Field = "reason" };
        }

        await Refusals.TranslateAsync(async () =>
        {
            await _store.WriteAsync(async (db, audit) =>
            {
                var run = await db.Runs.Include(r => r.Steps).Include(r => r.Approvals).AsSplitQuery().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken)
                    ?? throw new RotationRefusedException($"Run {runId} does not exist.", kind: RefusalKind.NotFound);
                run.Steps.Sort((a, b) => a.Index.CompareTo(b.Index));
                approver.Require(_options.PolicyFor(run.Workflow).ApproverRole, "re-enable the old key of this run");
                if (!MayReEnable(approver, run))
                {
                    throw new RotationRefusedException($"Run {run.Id} is not a staged retirement being watched or stopped by its watch; its old key is not re-enabled from here.");
                }

                var kms = _clients.Create(run.Target);
                var replicas = await new OldKeyReplicas(kms, region => _clients.CreateInRegion(run.Target, region)).ReadAsync(run.KeyId, cancellationToken);
                var enabled = await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = run.KeyId }, cancellationToken);
                var replicasEnabled = await OldKeyReplicas.EnableAsync(replicas, cancellationToken);
                if (IsWatching(run))
                {
                    // Let the watch run at once: it finds the key enabled and stops the retirement.
                    run.PassGate();
                    run.Version = Guid.NewGuid();
                }

                await audit.AppendAsync(approver.UserId, "key.re-enabled", RunEngine.Subject(run),
                    $"Old key {run.KeyId} enabled again during its staged retirement{replicasEnabled.Sentence}: {reason.Trim()}", enabled.ResponseMetadata?.RequestId, run.Id);
            }, cancellationToken);
            return true;
        }, cancellationToken);
        _feed.Publish(runId);
    }

    private bool StoppedByWatch(Run run) =>
        _catalog.StepsFor(run) is var steps && run.CurrentStepIndex < steps.Count && steps[run.CurrentStepIndex].Key == SafetyStepKey.RetirementWatch;
}

/// <summary>Checks the watched keys of staged retirements as often as <see cref="SafetyOptions.RetirementPollInterval"/> says.</summary>
internal sealed class RetirementWatchService(RetirementWatch watch, IOptions<RotationOptions> options, TimeProvider time, ILogger<RetirementWatchService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await watch.CheckDueAsync(stoppingToken) is > 0 and var due)
                {
                    logger.LogInformation("{Count} staged retirement(s) read their old key's last use again", due);
                }

                await Task.Delay(options.Value.Safety.RetirementPollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Checking the watched keys of staged retirements failed; trying again later");
                await Task.Delay(options.Value.Safety.RetirementPollInterval, time, stoppingToken);
            }
        }
    }
}
