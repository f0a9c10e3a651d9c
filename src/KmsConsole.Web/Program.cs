using KmsConsole.Web.Audit;
using KmsConsole.Web.Hosting;

if (AuditExportCommand.Matches(args))
{
    return AuditExportCommand.Run(args, Console.Out);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddWebConsole(args);

var app = builder.Build();
app.UseWebConsole();
app.Run();
return 0;
