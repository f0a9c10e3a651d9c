using KmsConsole.Web.Audit;
using KmsConsole.Web.Hosting;
using KmsConsole.Web.Security;
using KmsConsole.Web.Tokens;

if (KmsConsole.Web.Operations.HealthProbeCommand.Matches(args))
{
    return KmsConsole.Web.Operations.HealthProbeCommand.Run(args, Console.Out);
}

if (AuditExportCommand.Matches(args))
{
    return AuditExportCommand.Run(args, Console.Out);
}

if (TokensCommand.Matches(args))
{
    return await TokensCommand.RunAsync(args, Console.Out);
}

return StartupRefusal.Run(() =>
{
    var builder = WebApplication.CreateBuilder(AppContentRoot.Options(args));
    builder.AddWebConsole(args);

    var app = builder.Build();
    app.UseWebConsole();
    app.Run();
    // Set to 1 when the console stopped itself, e.g. on finding it listens beyond loopback with local sign-in.
    return Environment.ExitCode;
});
