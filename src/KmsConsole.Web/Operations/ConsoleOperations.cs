namespace KmsConsole.Web.Operations;

/// <summary>What an operator watches the console with: health endpoints (and telemetry).</summary>
public static class ConsoleOperations
{
    public static WebApplicationBuilder AddConsoleOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddConsoleHealth();
        builder.AddConsoleTelemetry();
        // On SIGTERM the orchestrator cancels its KMS call and hands its leases back well within this.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        return builder;
    }

    public static WebApplication MapConsoleOperations(this WebApplication app)
    {
        app.MapConsoleHealth();
        app.MapConsoleTelemetry();
        return app;
    }
}
