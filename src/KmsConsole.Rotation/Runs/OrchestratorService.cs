using Microsoft.Extensions.Hosting;

namespace KmsConsole.Rotation.Runs;

/// <summary>Claims runnable runs with a lease and runs them, until the host stops.</summary>
internal sealed class OrchestratorService : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
}
