namespace KmsConsole.Web.Operations;

/// <summary>What an operator watches the console with: health endpoints (and telemetry).</summary>
public static class ConsoleOperations
{
    public static WebApplicationBuilder AddConsoleOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddConsoleHealth();
        return builder;
    }

    public static WebApplication MapConsoleOperations(this WebApplication app)
    {
        app.MapConsoleHealth();
        return app;
    }
}
