namespace KmsConsole.Rotation.Notifications;

/// <summary>Who receives an event's e-mail.</summary>
public enum NotificationAudience
{
    /// <summary>Everyone holding <see cref="NotificationMessage.ApproverRole"/> (Admins too) except the one who asked: they decide it.</summary>
    Deciders,

    /// <summary>The person who asked (a run's requester).</summary>
    Requester,

    /// <summary>Everyone holding <see cref="NotificationMessage.ApproverRole"/> (Admins too): they can act on it.</summary>
    RoleHolders,
}

/// <summary>What an event is called on the preferences page and in a message's title, its button, and who receives it.</summary>
/// <param name="Label">As a person chooses it on the Notifications page ("A run waits for my approval").</param>
/// <param name="Title">A message's title before the key ("Approval needed").</param>
/// <param name="ActionLabel">The link's text, saying what the page it opens is for.</param>
/// <param name="Choosable">Offered on the preferences page; false for an event nobody receives unasked for (a channel test).</param>
public sealed record NotificationEventDefinition(NotificationEvent Event, string Label, string Title, string ActionLabel, NotificationAudience Audience,
    bool Choosable = true)
{
    /// <summary>The event's name in a Standard Webhooks body: <c>kmsconsole.approval-needed</c>.</summary>
    public string WebhookType => "kmsconsole." + System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(Event.ToString());
}

/// <summary>
/// Every event in one list: adding an event is its <see cref="NotificationEvent"/> value, its entry here, and the source
/// that writes it (an <see cref="IChangeNotifications"/> for a change, an <see cref="IScheduledNotifications"/> for a check).
/// The preferences page, the payloads and the recipients all read this list.
/// </summary>
public static class NotificationEvents
{
    private const string OpenRun = "Open the run in KmsConsole";
    private const string OpenCampaign = "Open the campaign in KmsConsole";

    public static IReadOnlyList<NotificationEventDefinition> All { get; } =
    [
        new(NotificationEvent.ApprovalNeeded, "A run waits for my approval", "Approval needed", "Approve or reject in KmsConsole", NotificationAudience.Deciders),
        new(NotificationEvent.ApprovalExpiring, "An approval of a run I may decide is about to expire", "Approval expiring", "Approve in KmsConsole",
            NotificationAudience.Deciders),
        new(NotificationEvent.RunSucceeded, "My run succeeded", "Rotation succeeded", OpenRun, NotificationAudience.Requester),
        new(NotificationEvent.RunFailed, "My run failed", "Rotation failed", OpenRun, NotificationAudience.Requester),
        new(NotificationEvent.RunCancelled, "My run was cancelled", "Rotation cancelled", OpenRun, NotificationAudience.Requester),
        new(NotificationEvent.RunRejected, "My run was rejected", "Rotation rejected", OpenRun, NotificationAudience.Requester),
        new(NotificationEvent.CampaignApprovalNeeded, "A campaign waits for my approval", "Campaign approval needed", "Approve or reject the campaign in KmsConsole",
            NotificationAudience.Deciders),
        new(NotificationEvent.CampaignSucceeded, "My campaign succeeded", "Campaign succeeded", OpenCampaign, NotificationAudience.Requester),
        new(NotificationEvent.CampaignFailed, "My campaign ended with failed keys", "Campaign failed", OpenCampaign, NotificationAudience.Requester),
        new(NotificationEvent.CampaignCancelled, "My campaign was cancelled", "Campaign cancelled", OpenCampaign, NotificationAudience.Requester),
        new(NotificationEvent.NonComplianceFound, "Keys were found breaking a rotation policy", "Policy non-compliance found",
            "Open compliance in KmsConsole", NotificationAudience.RoleHolders),
        new(NotificationEvent.MaterialExpiring, "Imported key material expires soon", "Imported material expiring", "Open the key in KmsConsole",
            NotificationAudience.RoleHolders),
        new(NotificationEvent.PermissionGrantWaiting, "A permission grant waits for my approval", "Permission grant waiting",
            "Approve or reject in KmsConsole", NotificationAudience.Deciders),
        new(NotificationEvent.AuditTampered, "The audit trail was tampered with", "Audit trail tampered with", "Open the audit trail in KmsConsole",
            NotificationAudience.RoleHolders),
        new(NotificationEvent.ChannelTest, "A test of a channel", "Test message", "Open KmsConsole's notifications", NotificationAudience.Requester,
            Choosable: false),
    ];

    public static NotificationEventDefinition Of(NotificationEvent kind) =>
        All.FirstOrDefault(d => d.Event == kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, "The event is missing from NotificationEvents.All.");
}
