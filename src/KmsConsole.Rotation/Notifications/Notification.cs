namespace KmsConsole.Rotation.Notifications;

/// <summary>What a notification tells (stored by name; each has its entry in <see cref="NotificationEvents.All"/>).</summary>
public enum NotificationEvent
{
    /// <summary>A run waits at a gate: sent to everyone who may decide it, never its requester.</summary>
    ApprovalNeeded,
    RunSucceeded,
    RunFailed,
    RunCancelled,
    RunRejected,

    /// <summary>An approval given at the gate a run still waits at (it needs more) expires soon.</summary>
    ApprovalExpiring,

    /// <summary>Imported key material expires within one of the configured numbers of days.</summary>
    MaterialExpiring,

    /// <summary>A policy grant waits for another Approver's or Admin's decision.</summary>
    PermissionGrantWaiting,

    /// <summary>A campaign ended with every key it started succeeded (skipped keys aside).</summary>
    CampaignSucceeded,

    /// <summary>A campaign ended with at least one key's run failed.</summary>
    CampaignFailed,

    CampaignCancelled,

    /// <summary>An evaluation found keys newly breaking an active policy: one event per policy and evaluation.</summary>
    NonComplianceFound,

    /// <summary>An Admin's test of a channel, sent at once outside the outbox (its e-mail to that Admin only).</summary>
    ChannelTest,

    /// <summary>The audit trail's append-only protection was found removed (and restored), or its chain broken.</summary>
    AuditTampered,

    /// <summary>
    /// A campaign waits for its approvers: requested, or its first key's run at the gate before the old keys' fate or
    /// their deletion. Told once per campaign and gate; its keys' runs do not each ask.
    /// </summary>
    CampaignApprovalNeeded,
}

/// <summary>
/// An outbox row: one event, written in the same transaction as the run change that causes it, with one
/// <see cref="NotificationDelivery"/> per channel. It holds what a message says (names, ids, a link), never key
/// material, a token or a secret.
/// </summary>
public sealed class NotificationMessage
{
    public Guid Id { get; set; }

    public NotificationEvent Event { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public Guid? RunId { get; set; }

    /// <summary>The campaign a campaign event is about.</summary>
    public Guid? CampaignId { get; set; }

    /// <summary>The policy a compliance event is about (the policy across its versions).</summary>
    public Guid? PolicyId { get; set; }

    public string Target { get; set; } = "";

    /// <summary>The alias, or the key id of a key without one.</summary>
    public string Key { get; set; } = "";

    public WorkflowKind? Workflow { get; set; }

    public string RequestedBy { get; set; } = "";

    public string RequestedByName { get; set; } = "";

    /// <summary>The role asked to act: the one that decides the gate or grant, or that may act on a key (see <see cref="NotificationAudience"/>).</summary>
    public string? ApproverRole { get; set; }

    /// <summary>
    /// For an event a scheduled check finds (material expiring, approval expiring): what makes it one event, e.g. the key,
    /// threshold and ValidTo. Unique, so however many checks and console instances find it, it is written once.
    /// </summary>
    public string? DedupKey { get; set; }

    /// <summary>One line saying what happened and what is asked.</summary>
    public string Summary { get; set; } = "";

    /// <summary>The console page where it is followed or decided, relative to the console's address (e.g. /runs/{id}).</summary>
    public string Page { get; set; } = "";

    public List<NotificationDelivery> Deliveries { get; set; } = [];
}

public enum DeliveryState
{
    Pending,
    Delivered,

    /// <summary>The receiver refused it (a 4xx other than 429): trying again would be refused too.</summary>
    Refused,

    /// <summary>Every attempt failed; an Admin may send it again.</summary>
    GaveUp,
}

/// <summary>One event on one channel: claimed by one console instance at a time (a lease), tried with backoff.</summary>
public sealed class NotificationDelivery
{
    public long Id { get; set; }

    public Guid MessageId { get; set; }

    public string Channel { get; set; } = "";

    public DeliveryState State { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    public string? LastError { get; set; }

    public List<DeliveryAttempt> AttemptLog { get; set; } = [];
}

/// <summary>One try to deliver, as Admins see it.</summary>
public sealed class DeliveryAttempt
{
    public long Id { get; set; }

    public long DeliveryId { get; set; }

    public DateTimeOffset At { get; set; }

    public string Owner { get; set; } = "";

    public bool Succeeded { get; set; }

    /// <summary>The receiver's answer (HTTP status, SMTP reply) or the error, without any secret.</summary>
    public string Outcome { get; set; } = "";
}

/// <summary>A person's choice to receive an event or not (absent: receive it).</summary>
public sealed class NotificationPreference
{
    public string UserId { get; set; } = "";

    public NotificationEvent Event { get; set; }

    public bool Receive { get; set; }
}
