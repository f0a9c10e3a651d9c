using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Notifications;

/// <summary>A source of the events a change causes, read from the entities the change is about to save.</summary>
internal interface IChangeNotifications
{
    Task<IReadOnlyList<NotificationMessage>> CollectAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// Writes notifications into the outbox inside the transaction of the change that causes them: the store calls it just
/// before it saves, and each source looks at what the change saves. Each message gets a delivery per channel (configured or
/// made in the console and enabled);
/// if the change rolls back, so does the message, and a committed change always has it.
/// </summary>
internal sealed class NotificationOutbox(IOptions<NotificationOptions> options, IEnumerable<IChangeNotifications> sources)
{
    public async Task CollectAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        IReadOnlyList<string>? channels = null;
        foreach (var source in sources)
        {
            foreach (var message in await source.CollectAsync(db, now, cancellationToken))
            {
                // Read once, inside this transaction, and only when the change causes an event.
                channels ??= await NotificationChannelDirectory.NamesAsync(db, options.Value, cancellationToken);
                if (channels.Count > 0)
                {
                    db.NotificationMessages.Add(WithDeliveries(message, channels, now));
                }
            }
        }
    }

    public static NotificationMessage WithDeliveries(NotificationMessage message, IReadOnlyList<string> channels, DateTimeOffset now)
    {
        message.Deliveries.AddRange(channels.Select(c => new NotificationDelivery { Channel = c, State = DeliveryState.Pending, NextAttemptAt = now }));
        return message;
    }

    /// <summary>How messages name a workflow.</summary>
    public static string WorkflowLabel(WorkflowKind workflow) => workflow switch
    {
        WorkflowKind.EnableAutomaticRotation => "automatic rotation",
        WorkflowKind.AliasSwapNewKey => "a new key with alias swap",
        WorkflowKind.AliasSwapImportedKey => "a new imported key with alias swap",
        WorkflowKind.NewMaterialInPlace => "new key material in place",
        WorkflowKind.ReimportBeforeExpiry => "a re-import before expiry",
        _ => "a roll back",
    };
}

/// <summary>A run that enters a gate, or ends: approval needed, succeeded, failed, cancelled, rejected.</summary>
internal sealed class RunChangeNotifications(IOptions<RotationOptions> rotation) : IChangeNotifications
{
    public async Task<IReadOnlyList<NotificationMessage>> CollectAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var messages = new List<NotificationMessage>();
        foreach (var entry in db.ChangeTracker.Entries<Run>().Where(e => e.State is EntityState.Added or EntityState.Modified).ToList())
        {
            var run = entry.Entity;
            // The engine saves a run it attached (its original values are its current ones), so the state before the change is read
            // from the database, inside this transaction.
            RunState? before = entry.State == EntityState.Added
                ? null
                : await db.Runs.AsNoTracking().Where(r => r.Id == run.Id).Select(r => (RunState?)r.State).FirstOrDefaultAsync(cancellationToken);
            if (before != run.State && EventFor(run.State) is { } kind && !TheCampaignTells(run, kind))
            {
                messages.Add(Message(kind, run, now));
            }
        }

        return messages;
    }

    /// <summary>
    /// A campaign's runs do not each ask or report: the campaign tells its approvers once per gate (every gate of its runs
    /// is decided on the campaign) and its requester once at its end. A key's failed run is still told (it needs someone),
    /// as is a resumed run waiting to pass a gate again before its current step (only its own page decides that).
    /// </summary>
    private static bool TheCampaignTells(Run run, NotificationEvent kind) =>
        run.CampaignId is not null && kind switch
        {
            NotificationEvent.RunFailed => false,
            NotificationEvent.ApprovalNeeded => run.CurrentStep?.Kind == StepKind.Gate,
            _ => true,
        };

    private static NotificationEvent? EventFor(RunState state) => state switch
    {
        RunState.AwaitingApproval => NotificationEvent.ApprovalNeeded,
        RunState.Succeeded => NotificationEvent.RunSucceeded,
        RunState.Failed => NotificationEvent.RunFailed,
        RunState.Cancelled => NotificationEvent.RunCancelled,
        RunState.Rejected => NotificationEvent.RunRejected,
        _ => null,
    };

    private NotificationMessage Message(NotificationEvent kind, Run run, DateTimeOffset now)
    {
        var key = run.AliasName ?? run.KeyId;
        var workflow = NotificationOutbox.WorkflowLabel(run.Workflow);
        var summary = kind switch
        {
            NotificationEvent.ApprovalNeeded => $"{run.RequestedByName} asks for {workflow} on {key} ({run.Target}): \"{run.Justification}\". Approve or reject it in KmsConsole.",
            NotificationEvent.RunSucceeded => $"{workflow} on {key} ({run.Target}), requested by {run.RequestedByName}, succeeded.",
            NotificationEvent.RunFailed => $"{workflow} on {key} ({run.Target}), requested by {run.RequestedByName}, failed: {run.Error}. Resume or roll it back in KmsConsole.",
            NotificationEvent.RunCancelled => $"{workflow} on {key} ({run.Target}), requested by {run.RequestedByName}, was cancelled.",
            _ => $"{workflow} on {key} ({run.Target}), requested by {run.RequestedByName}, was rejected: {run.Error}.",
        };
        return new NotificationMessage
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
    }
}

/// <summary>A policy grant requested: it waits for an Approver or Admin other than the Admin who asked.</summary>
internal sealed class GrantChangeNotifications : IChangeNotifications
{
    public Task<IReadOnlyList<NotificationMessage>> CollectAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        IReadOnlyList<NotificationMessage> messages = db.ChangeTracker.Entries<PolicyGrant>()
            .Where(e => e.State == EntityState.Added && e.Entity.State == PolicyGrantState.AwaitingApproval)
            .Select(e => e.Entity)
            .Select(grant => new NotificationMessage
            {
                Id = Guid.NewGuid(),
                Event = NotificationEvent.PermissionGrantWaiting,
                CreatedAt = now,
                Target = grant.Target,
                Key = grant.PolicyName,
                RequestedBy = grant.RequestedBy,
                RequestedByName = grant.RequestedByName,
                ApproverRole = Roles.Approver,
                Summary = $"{grant.RequestedByName} asks to attach the KMS policy {grant.PolicyName} to {grant.RoleArn} ({grant.Target}) for " +
                          $"{grant.Workflows.Replace(",", ", ", StringComparison.Ordinal)}: \"{grant.Justification}\". Approve or reject it in KmsConsole.",
                Page = "/permissions",
            })
            .ToList();
        return Task.FromResult(messages);
    }
}
