using KmsConsole.Rotation.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Governance;

/// <summary>
/// Expired exemptions stop counting without anyone acting: when an exempt answer outlived its exemption (its due time
/// is the exemption's expiry), compliance is evaluated again at once instead of at the next inventory sync; the pass
/// audits the expiry.
/// </summary>
internal sealed class ExemptionExpiry(RotationStore store, ComplianceEvaluation evaluation)
{
    /// <summary>True when an exemption had expired and compliance was evaluated again; false when nothing was due (nothing written).</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        var now = store.Time.GetUtcNow();
        // An index seek on (Status, DueAt): cheap enough for every poll of every instance.
        await using (var db = await store.ReadAsync(cancellationToken))
        {
            if (!await db.ComplianceResults.AsNoTracking().AnyAsync(r => r.Status == ComplianceStatus.Exempt && r.DueAt <= now, cancellationToken))
            {
                return false;
            }
        }

        await evaluation.EvaluateAsync(cancellationToken);
        return true;
    }
}

/// <summary>Looks for expired exemptions every <see cref="RotationOptions.ExemptionExpiryInterval"/>, on every instance (read-only until one expired).</summary>
internal sealed class ExemptionExpiryService(ExemptionExpiry expiry, IOptions<RotationOptions> options, TimeProvider time, ILogger<ExemptionExpiry> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await expiry.CheckAsync(stoppingToken))
                {
                    logger.LogInformation("An exemption expired; compliance was evaluated again");
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Exemption expiry check failed; retrying after the poll interval");
            }

            try
            {
                await Task.Delay(options.Value.ExemptionExpiryInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
