using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation;

/// <summary>
/// Fills in the keys' last use in the background, a batch at a time, oldest read first, at GetKeyLastUsage's own pace
/// (the clients pace it to its quota); each batch saved shows on the Keys page at once.
/// </summary>
internal sealed class KeyLastUseReader(KeyInventory inventory, IOptions<RotationOptions> options, TimeProvider time, ILogger<KeyLastUseReader> logger)
    : BackgroundService
{
    /// <summary>Keys read per target and pass: at 5 a second, about 10 seconds of GetKeyLastUsage between saves.</summary>
    public const int Batch = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var read = 0;
            try
            {
                // Saving the batch publishes the inventory change, so the Keys page shows it.
                read = await inventory.ReadDueLastUsesAsync(Batch, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Reading the keys' last use failed; trying again after the poll interval");
            }

            if (read == 0)
            {
                try
                {
                    await Task.Delay(options.Value.Orchestrator.PollInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
