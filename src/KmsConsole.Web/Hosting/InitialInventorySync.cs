using KmsConsole.Rotation;

namespace KmsConsole.Web.Hosting;

/// <summary>
/// Reads every target's keys into the inventory once the console has started, so the key list is
/// filled on first visit; the Keys page's Refresh runs the same sync on demand.
/// </summary>
public sealed class InitialInventorySync(IServiceScopeFactory scopes, IHostApplicationLifetime lifetime, ILogger<InitialInventorySync> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Wait for the whole host (the local KMS endpoint included) to be up.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<KeyInventory>().SyncAsync(null, stoppingToken);
            logger.LogInformation("Key inventory read from every target: {Summary}", result.Summary);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // The console stays usable (a KMS timeout too, which arrives as a cancellation); the Keys page shows the
            // error when the user refreshes.
            logger.LogWarning(e, "The first key inventory sync failed.");
        }
    }
}
