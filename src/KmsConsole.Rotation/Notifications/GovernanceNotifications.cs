using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Notifications;

/// <summary>
/// A campaign that waits for its approvers (requested; its first key's run at an undecided gate before the old keys' fate
/// or their deletion), told to them once; or that ends: succeeded (no key failed), failed (a key's run failed), or
/// cancelled; told to its requester.
/// </summary>
internal sealed class CampaignChangeNotifications(IOptions<RotationOptions> rotation) : IChangeNotifications
{
    public async Task<IReadOnlyList<NotificationMessage>> CollectAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var messages = new List<NotificationMessage>();
        foreach (var entry in db.ChangeTracker.Entries<Campaign>().Where(e => e.State is EntityState.Added or EntityState.Modified).ToList())
        {
            var campaign = entry.Entity;
            if (entry.State == EntityState.Added)
            {
                if (campaign.State == CampaignState.AwaitingApproval)
                {
                    messages.Add(Message(NotificationEvent.CampaignApprovalNeeded, campaign, now,
                        $"{campaign.RequestedByName} asks for a campaign of {NotificationOutbox.WorkflowLabel(campaign.Workflow)} on " +
                        $"{campaign.Keys.Count(k => k.State == CampaignKeyState.Waiting)} key(s) of {campaign.Target}: \"{campaign.Justification}\". " +
                        "One approval releases every key; approve or reject it in KmsConsole."));
                }

                continue;
            }

            // As for runs, the values before are the stored ones: a change may save a campaign it did not load in this context.
            var before = await db.Campaigns.AsNoTracking().Where(c => c.Id == campaign.Id)
                .Select(c => new { c.State, c.FateWaitingSince, c.DeletionWaitingSince }).FirstOrDefaultAsync(cancellationToken);
            if (before is null)
            {
                continue;
            }

            var what = $"The campaign of {NotificationOutbox.WorkflowLabel(campaign.Workflow)} on {campaign.Keys.Count} key(s) of {campaign.Target}, " +
                       $"requested by {campaign.RequestedByName},";
            if (before.FateWaitingSince is null && campaign.FateWaitingSince is not null)
            {
                messages.Add(Message(NotificationEvent.CampaignApprovalNeeded, campaign, now,
                    $"{what} waits at the gate before the old keys' fate ({campaign.Parameters.OldKeyFate}): approve or reject it once for the campaign in KmsConsole."));
            }

            if (before.DeletionWaitingSince is null && campaign.DeletionWaitingSince is not null)
            {
                messages.Add(Message(NotificationEvent.CampaignApprovalNeeded, campaign, now,
                    $"{what} waits at the gate before the old keys' deletion: the first disabled old key was watched unused. " +
                    "Approve or reject the deletion once for the campaign in KmsConsole."));
            }

            if (before.State == campaign.State || EventFor(campaign) is not { } kind)
            {
                continue;
            }

            var progress = CampaignProgress.Of(campaign);
            messages.Add(Message(kind, campaign, now, kind switch
            {
                NotificationEvent.CampaignSucceeded => $"{what} succeeded: {progress.Done} rotated, {progress.Other} skipped or cancelled.",
                NotificationEvent.CampaignFailed => $"{what} ended with {progress.Failed} failed key(s) ({progress.Done} rotated). " +
                                                    "Resume or roll back each failed run, or retry the failed keys in a new campaign, in KmsConsole.",
                _ => $"{what} was cancelled: {progress.Done} rotated, {progress.Running} still running to their end, {progress.Other} not started.",
            }));
        }

        return messages;
    }

    private NotificationMessage Message(NotificationEvent kind, Campaign campaign, DateTimeOffset now, string summary) => new()
    {
        Id = Guid.NewGuid(),
        Event = kind,
        CreatedAt = now,
        CampaignId = campaign.Id,
        PolicyId = campaign.PolicyId,
        Target = campaign.Target,
        Key = $"campaign of {campaign.Keys.Count} key(s)",
        Workflow = campaign.Workflow,
        RequestedBy = campaign.RequestedBy,
        RequestedByName = campaign.RequestedByName,
        ApproverRole = kind == NotificationEvent.CampaignApprovalNeeded ? rotation.Value.PolicyFor(campaign.Workflow).ApproverRole : null,
        Summary = summary,
        Page = $"/campaigns/{campaign.Id}",
    };

    private static NotificationEvent? EventFor(Campaign campaign) => campaign.State switch
    {
        CampaignState.Finished when campaign.Keys.Any(k => k.State == CampaignKeyState.Failed) => NotificationEvent.CampaignFailed,
        CampaignState.Finished => NotificationEvent.CampaignSucceeded,
        CampaignState.Cancelled => NotificationEvent.CampaignCancelled,
        _ => null,
    };
}

/// <summary>
/// Keys an evaluation finds newly breaking an active policy (first seen, or compliant, exempt or unread before): one
/// message per policy and evaluation, told to those who may open the remedy (Requesters, and Admins).
/// </summary>
internal sealed class ComplianceChangeNotifications : IChangeNotifications
{
    private const int KeysNamed = 5;

    public async Task<IReadOnlyList<NotificationMessage>> CollectAsync(RotationDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var broken = db.ChangeTracker.Entries<ComplianceResult>()
            .Where(e => e.State is EntityState.Added or EntityState.Modified && e.Entity.Status == ComplianceStatus.NonCompliant)
            .Select(e => (e.Entity, Added: e.State == EntityState.Added)).ToList();
        if (broken.Count == 0)
        {
            return [];
        }

        // An evaluation marks a changed answer modified without its former values, so what was broken before is read from the database.
        var policyIds = broken.Select(b => b.Entity.PolicyId).Distinct().ToList();
        var wasBroken = (await db.ComplianceResults.AsNoTracking()
                .Where(r => policyIds.Contains(r.PolicyId) && r.Status == ComplianceStatus.NonCompliant)
                .Select(r => new { r.PolicyId, r.Target, r.KeyId }).ToListAsync(cancellationToken))
            .Select(r => (r.PolicyId, r.Target, r.KeyId)).ToHashSet();
        var found = broken.Where(b => b.Added || !wasBroken.Contains((b.Entity.PolicyId, b.Entity.Target, b.Entity.KeyId))).Select(b => b.Entity)
            .GroupBy(r => r.PolicyId).ToList();
        if (found.Count == 0)
        {
            return [];
        }

        var ids = found.Select(g => g.Key).ToList();
        var names = await db.RotationPolicies.AsNoTracking().Where(p => ids.Contains(p.PolicyId) && p.State == PolicyState.Active)
            .Select(p => new { p.PolicyId, p.Name }).ToDictionaryAsync(p => p.PolicyId, p => p.Name, cancellationToken);
        return found.Select(g =>
            {
                var name = names.GetValueOrDefault(g.Key, "a rotation policy");
                var keys = g.Select(r => r.KeyId).Order(StringComparer.Ordinal).ToList();
                var named = string.Join(", ", keys.Take(KeysNamed)) + (keys.Count > KeysNamed ? $" and {keys.Count - KeysNamed} more" : "");
                var targets = string.Join(", ", g.Select(r => r.Target).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
                return new NotificationMessage
                {
                    Id = Guid.NewGuid(),
                    Event = NotificationEvent.NonComplianceFound,
                    CreatedAt = now,
                    PolicyId = g.Key,
                    Target = targets,
                    Key = $"policy {name}",
                    RequestedBy = "compliance",
                    RequestedByName = "KmsConsole",
                    ApproverRole = Roles.Requester,
                    Summary = $"{keys.Count} key(s) of {targets} newly break the policy '{name}': {named}. " +
                              "Open a campaign to remedy them, or ask for an exemption, in KmsConsole.",
                    Page = "/compliance?status=NonCompliant",
                };
            })
            .ToList();
    }
}
