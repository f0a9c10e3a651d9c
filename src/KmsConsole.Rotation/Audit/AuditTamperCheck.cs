using KmsConsole.Rotation.Persistence;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Rotation.Audit;

/// <summary>
/// Checks that the database still refuses to update or delete audit events and, when someone with SQL access took
/// that away, puts it back, records it in the audit trail itself, logs a critical message and raises an alarm.
/// Runs at start, on every health check and with each background chain check.
/// </summary>
public sealed class AuditTamperCheck
{
    public const string Actor = "audit-integrity";

    private readonly RotationStore _store;
    private readonly AuditIntegrity _integrity;
    private readonly ILogger<AuditTamperCheck> _logger;

    internal AuditTamperCheck(RotationStore store, AuditIntegrity integrity, ILogger<AuditTamperCheck> logger)
    {
        _store = store;
        _integrity = integrity;
        _logger = logger;
    }

    /// <summary>What was missing and has been restored; empty when the protection was in place.</summary>
    public async Task<IReadOnlyList<string>> EnsureAppendOnlyAsync(CancellationToken cancellationToken = default)
    {
        await using (var db = await _store.ReadAsync(cancellationToken))
        {
            if ((await AuditAppendOnlyProtection.FindMissingAsync(db, cancellationToken)).Count == 0)
            {
                return [];
            }
        }

        // Found again inside the write, so two instances that both noticed restore and record it once.
        var restored = await _store.WriteAsync<IReadOnlyList<string>>(async (db, audit) =>
        {
            var missing = await AuditAppendOnlyProtection.FindMissingAsync(db, cancellationToken);
            if (missing.Count > 0)
            {
                await AuditAppendOnlyProtection.RestoreAsync(db, cancellationToken);
                await audit.AppendAsync(Actor, AuditIntegrity.AppendOnlyRestored, "audit",
                    $"The audit table's append-only protection was not in place and has been restored: {string.Join("; ", missing)}.");
            }

            return missing;
        }, cancellationToken);

        if (restored.Count > 0)
        {
            var message = $"The audit table's append-only protection had been removed ({string.Join("; ", restored)}); it is restored. " +
                "Someone with SQL access to the console's database changed it: find out who, and verify the audit chain.";
            _integrity.Raise(new AuditAlarm(_store.Time.GetUtcNow(), AuditIntegrity.AppendOnlyRestored, message));
            _logger.LogCritical("{Message}", message);
        }

        return restored;
    }
}
