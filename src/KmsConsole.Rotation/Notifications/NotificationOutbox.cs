using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Notifications;

/// <summary>
/// Writes notifications into the outbox inside the transaction of the change that causes them: the store calls it just
/// before it saves, and it looks at the runs the change saves. A run that enters a gate, or ends, gets a message with a
/// delivery per configured channel; if the change rolls back, so does the message, and a committed change always has it.
/// </summary>
internal sealed class NotificationOutbox(IOptions<NotificationOptions> options, IOptions<RotationOptions> rotation)
{
    public async Task CollectAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var channels = options.Value.ChannelNames;
        if (channels.Count == 0)
        {
            return;
        }

        var runs = db.ChangeTracker.Entries<Run>().Where(e => e.State is EntityState.Added or EntityState.Modified).ToList();
        foreach (var entry in runs)
        {
            var run = entry.Entity;
            // The engine saves a run it attached (its original values are its current ones), so the state before the change is read
            // from the database, inside this transaction.
            RunState? before = entry.State == EntityState.Added
                ? null
                : await db.Runs.AsNoTracking().Where(r => r.Id == run.Id).Select(r => (RunState?)r.State).FirstOrDefaultAsync(cancellationToken);
            if (before == run.State || EventFor(run.State) is not { } kind)
            {
                continue;
            }

            db.NotificationMessages.Add(Message(kind, run, now, channels));
        }
    }

    private static NotificationEvent? EventFor(RunState state) => state switch
    {
        RunState.AwaitingApproval => NotificationEvent.ApprovalNeeded,
        RunState.Succeeded => NotificationEvent.RunSucceeded,
        RunState.Failed => NotificationEvent.RunFailed,
        RunState.Cancelled => NotificationEvent.RunCancelled,
        RunState.Rejected => NotificationEvent.RunRejected,
        _ => null,
    };

    private NotificationMessage Message(NotificationEvent kind, Run run, DateTimeOffset now, IReadOnlyList<string> channels)
    {
        var key = run.AliasName ?? run.KeyId;
        var workflow = WorkflowLabel(run.Workflow);
        var summary = kind switch
        {
            NotificationEvent.ApprovalNeeded => $"{run.RequestedByName} asks for {workflow} on {key} ({run.Target}): \"{run.Justification}\". Approve or reject it in KmsConsole.",
            NotificationEvent.RunSucceeded => $"{workflow} on {key} ({run.Target}), requested by {run.RequestedByName}, succeeded.",
            NotificationEvent.RunFailed => $"{workflow} on {key} ({run.Target}), requested by {run.RequestedByName}, failed: {run.Error}. Resume or roll it back in KmsConsole.",
            NotificationEvent.RunCancelled => $"{workflow} on {key} ({run.Target}), requested by {run.RequestedByName}, was cancelled.",
            _ => $"{workflow} on {key} ({run.Target}), requested by {run.RequestedByName}, was rejected: {run.Error}.",
        };
        var message = new NotificationMessage
        {
            Id = Guid.NewGuid(),
            Event = kind,
            CreatedAt = now,
            RunId = run.Id,
            Target = run.Target,
            Key = key,
            Workflow = run.Workflow,
            RequestedBy = run.RequestedBy,
            RequestedByName = run.RequestedByName,
            ApproverRole = kind == NotificationEvent.ApprovalNeeded ? rotation.Value.PolicyFor(run.Workflow).ApproverRole : null,
            Summary = summary,
            Page = $"/runs/{run.Id}",
        };
        message.Deliveries.AddRange(channels.Select(c => new NotificationDelivery { Channel = c, State = DeliveryState.Pending, NextAttemptAt = now }));
        return message;
    }

    private static string WorkflowLabel(WorkflowKind workflow) => workflow switch
    {
        WorkflowKind.EnableAutomaticRotation => "automatic rotation",
        WorkflowKind.AliasSwapNewKey => "a new key with alias swap",
        WorkflowKind.AliasSwapImportedKey => "a new imported key with alias swap",
        WorkflowKind.NewMaterialInPlace => "new key material in place",
        WorkflowKind.ReimportBeforeExpiry => "a re-import before expiry",
        _ => "a roll back",
    };
}
