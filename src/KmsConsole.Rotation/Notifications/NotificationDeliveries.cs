using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Notifications;

/// <summary>A delivery claimed for sending, with its message and the people it goes to (for e-mail).</summary>
public sealed record DueDelivery(NotificationDelivery Delivery, NotificationMessage Message, IReadOnlyList<ConsoleUser> Recipients);

/// <summary>What a channel's receiver answered.</summary>
/// <param name="Retry">A 5xx, 429, timeout or connection failure: try again later. False with a failure: the receiver refused it for good.</param>
public sealed record DeliveryOutcome(bool Delivered, bool Retry, string Description)
{
    public static DeliveryOutcome Success(string description) => new(true, false, description);

    public static DeliveryOutcome TryAgain(string description) => new(false, true, description);

    public static DeliveryOutcome Refused(string description) => new(false, false, description);
}

/// <summary>
/// The sender's side of the outbox. A delivery is claimed with one conditional UPDATE (a lease), so with several console
/// instances on one database exactly one sends it; a delivery whose sender died is taken over when the lease runs out.
/// Each attempt is logged; failures wait with exponential backoff.
/// </summary>
public sealed class NotificationDeliveries
{
    private readonly RotationStore _store;
    private readonly NotificationOptions _options;

    internal NotificationDeliveries(RotationStore store, IOptions<NotificationOptions> options)
    {
        _store = store;
        _options = options.Value;
    }

    public async Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(string owner, int max, CancellationToken cancellationToken)
    {
        var now = _store.Time.GetUtcNow();
        await using var db = await _store.ReadAsync(cancellationToken);
        var candidates = await db.NotificationDeliveries.AsNoTracking()
            .Where(d => d.State == DeliveryState.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now))
            .OrderBy(d => d.NextAttemptAt).Select(d => d.Id).Take(max).ToListAsync(cancellationToken);
        var due = new List<DueDelivery>();
        foreach (var id in candidates)
        {
            var until = now + _options.Lease;
            var claimed = await db.NotificationDeliveries
                .Where(d => d.Id == id && d.State == DeliveryState.Pending && (d.LeaseUntil == null || d.LeaseUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseOwner, owner).SetProperty(d => d.LeaseUntil, until), cancellationToken);
            if (claimed != 1)
            {
                continue;
            }

            var delivery = await db.NotificationDeliveries.AsNoTracking().FirstAsync(d => d.Id == id, cancellationToken);
            var message = await db.NotificationMessages.AsNoTracking().FirstAsync(m => m.Id == delivery.MessageId, cancellationToken);
            due.Add(new DueDelivery(delivery, message, await RecipientsAsync(db, message, cancellationToken)));
        }

        return due;
    }

    /// <summary>Deliveries not sent yet (pending, due or waiting for their next attempt): the outbox backlog.</summary>
    public async Task<int> BacklogAsync(CancellationToken cancellationToken)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        return await db.NotificationDeliveries.CountAsync(d => d.State == DeliveryState.Pending, cancellationToken);
    }

    /// <summary>Records an attempt's outcome, if this instance still holds the delivery.</summary>
    public async Task RecordAsync(long deliveryId, string owner, DeliveryOutcome outcome, CancellationToken cancellationToken)
    {
        await _store.WriteAsync(async (db, _) =>
        {
            var delivery = await db.NotificationDeliveries.FirstOrDefaultAsync(d => d.Id == deliveryId && d.LeaseOwner == owner, cancellationToken);
            if (delivery is null)
            {
                return;
            }

            var now = _store.Time.GetUtcNow();
            delivery.Attempts++;
            delivery.LeaseOwner = null;
            delivery.LeaseUntil = null;
            delivery.LastError = outcome.Delivered ? null : outcome.Description;
            if (outcome.Delivered)
            {
                delivery.State = DeliveryState.Delivered;
                delivery.DeliveredAt = now;
            }
            else if (!outcome.Retry)
            {
                delivery.State = DeliveryState.Refused;
            }
            else if (delivery.Attempts >= _options.MaxAttempts)
            {
                delivery.State = DeliveryState.GaveUp;
            }
            else
            {
                delivery.NextAttemptAt = now + Backoff(delivery.Attempts);
            }

            db.DeliveryAttempts.Add(new DeliveryAttempt
            {
                DeliveryId = delivery.Id,
                At = now,
                Owner = owner,
                Succeeded = outcome.Delivered,
                Outcome = outcome.Description.Length > 1000 ? outcome.Description[..1000] : outcome.Description,
            });
        }, CancellationToken.None);
    }

    /// <summary>The wait after the <paramref name="attempts"/>th failure: the first backoff, doubled each time, at most the maximum.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(_options.FirstBackoff.Ticks * factor, _options.MaxBackoff.Ticks));
        return wait < _options.MaxBackoff ? wait : _options.MaxBackoff;
    }

    /// <summary>The latest deliveries with their attempts, for Admins.</summary>
    public async Task<IReadOnlyList<(NotificationMessage Message, NotificationDelivery Delivery)>> RecentAsync(Actor admin, int max = 100,
        CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "see notification deliveries");
        await using var db = await _store.ReadAsync(cancellationToken);
        var deliveries = await db.NotificationDeliveries.AsNoTracking().Include(d => d.AttemptLog)
            .OrderByDescending(d => d.Id).Take(Math.Clamp(max, 1, 500)).ToListAsync(cancellationToken);
        var ids = deliveries.Select(d => d.MessageId).Distinct().ToList();
        var messages = await db.NotificationMessages.AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, cancellationToken);
        return deliveries.Select(d => (messages[d.MessageId], d)).ToList();
    }

    /// <summary>Queues a delivery again (after a receiver was fixed); audited.</summary>
    public async Task SendAgainAsync(Actor admin, long deliveryId, CancellationToken cancellationToken = default)
    {
        admin.Require(Roles.Admin, "send a notification again");
        await _store.WriteAsync(async (db, audit) =>
        {
            var delivery = await db.NotificationDeliveries.FirstOrDefaultAsync(d => d.Id == deliveryId, cancellationToken)
                ?? throw new RotationRefusedException($"There is no notification delivery {deliveryId}.", kind: RefusalKind.NotFound);
            if (delivery.State == DeliveryState.Pending)
            {
                throw new RotationRefusedException($"Delivery {deliveryId} is still being sent.", kind: RefusalKind.Conflict);
            }

            delivery.State = DeliveryState.Pending;
            delivery.Attempts = 0;
            delivery.NextAttemptAt = _store.Time.GetUtcNow();
            await audit.AppendAsync(admin.UserId, "notification.sent-again", $"notification/{delivery.MessageId}", $"Delivery {delivery.Id} on {delivery.Channel} queued again");
        }, cancellationToken);
    }

    /// <summary>
    /// Who a message goes to, by its event's <see cref="NotificationAudience"/>: those holding the asked role (Admins too),
    /// without the one who asked when they decide it; or the requester. Only people with an address who did not turn the event off.
    /// </summary>
    private static async Task<IReadOnlyList<ConsoleUser>> RecipientsAsync(RotationDbContext db, NotificationMessage message, CancellationToken cancellationToken)
    {
        var users = await db.ConsoleUsers.AsNoTracking().Where(u => u.Email != null).ToListAsync(cancellationToken);
        var optedOut = (await db.NotificationPreferences.AsNoTracking().Where(p => p.Event == message.Event && !p.Receive)
            .Select(p => p.UserId).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var audience = NotificationEvents.Of(message.Event).Audience;
        var role = message.ApproverRole ?? Roles.Approver;
        return users.Where(u => !optedOut.Contains(u.UserId)).Where(u =>
            {
                var asker = string.Equals(u.UserId, message.RequestedBy, StringComparison.OrdinalIgnoreCase);
                var holds = u.RoleList.Contains(role) || u.RoleList.Contains(Roles.Admin);
                return audience switch
                {
                    NotificationAudience.Deciders => holds && !asker,
                    NotificationAudience.RoleHolders => holds,
                    _ => asker,
                };
            })
            .ToList();
    }
}

/// <summary>Each person's choice of the events they receive.</summary>
public sealed class NotificationPreferences
{
    private readonly RotationStore _store;

    internal NotificationPreferences(RotationStore store) => _store = store;

    public async Task<IReadOnlyDictionary<NotificationEvent, bool>> GetAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        await using var db = await _store.ReadAsync(cancellationToken);
        var chosen = await db.NotificationPreferences.AsNoTracking().Where(p => p.UserId == actor.UserId).ToListAsync(cancellationToken);
        return NotificationEvents.All.Where(d => d.Choosable)
            .ToDictionary(d => d.Event, d => chosen.FirstOrDefault(p => p.Event == d.Event)?.Receive ?? true);
    }

    public Task SetAsync(Actor actor, NotificationEvent kind, bool receive, CancellationToken cancellationToken = default) =>
        _store.WriteAsync(async (db, _) =>
        {
            var preference = await db.NotificationPreferences.FirstOrDefaultAsync(p => p.UserId == actor.UserId && p.Event == kind, cancellationToken);
            if (preference is null)
            {
                db.NotificationPreferences.Add(new NotificationPreference { UserId = actor.UserId, Event = kind, Receive = receive });
            }
            else
            {
                preference.Receive = receive;
            }
        }, cancellationToken);
}
