using KmsConsole.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddWebConsole(args);

var app = builder.Build();
app.UseWebConsole();
app.Run();

