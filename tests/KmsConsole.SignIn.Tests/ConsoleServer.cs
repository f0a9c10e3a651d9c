using System.Net;
using KmsConsole.Web.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KmsConsole.SignIn.Tests;

/// <summary>
/// The real console (AddWebConsole / UseWebConsole, as Program.cs does), on Kestrel at https://127.0.0.1 on a free
/// port, with its SQLite database and the local KMS it hosts in a temp folder.
/// </summary>
public sealed class ConsoleServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _folder;

    private ConsoleServer(WebApplication app, string folder, Uri address)
    {
        _app = app;
        _folder = folder;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Builds the console with these settings; throws what the console throws when they are wrong.</summary>
    public static WebApplicationBuilder Configure(IDictionary<string, string?> settings, string folder)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "KmsConsole.Web",
            EnvironmentName = Environments.Production,
            ContentRootPath = folder,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "https://127.0.0.1:0",
            ["Console:LocalKmsUrl"] = $"http://127.0.0.1:{KmsConsole.Testing.LoopbackPorts.Free()[0]}",
            ["LocalKms:DataDirectory"] = Path.Combine(folder, "localkms"),
            ["Rotation:Database:ConnectionString"] = $"Data Source={Path.Combine(folder, "kmsconsole.db")}",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddWebConsole([]);
        return builder;
    }

    /// <param name="https">False serves plain http, as a console on loopback without a certificate is run.</param>
    public static async Task<ConsoleServer> StartAsync(IDictionary<string, string?> settings, CapturedLogs? logs = null, bool https = true)
    {
        var folder = Directory.CreateTempSubdirectory("kmsconsole-signin-").FullName;
        var builder = Configure(settings, folder);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.AddFilter<CapturedLogs>(null, LogLevel.Information);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (https)
            {
                listen.UseHttps(Loopback.Certificate);
            }
        }));
        var app = builder.Build();
        app.UseWebConsole();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new ConsoleServer(app, folder, new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/"));
    }

    /// <summary>The principal a browser's console cookie carries, read with the console's own data protection.</summary>
    public System.Security.Claims.ClaimsPrincipal PrincipalOf(TestBrowser browser)
    {
        var options = Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var cookies = browser.Cookies.GetCookies(Address);
        var value = cookies[options.Cookie.Name!]?.Value ?? throw new InvalidOperationException("The browser has no console cookie.");
        if (value.StartsWith("chunks-", StringComparison.Ordinal))
        {
            var count = int.Parse(value["chunks-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            value = string.Concat(Enumerable.Range(1, count).Select(i => cookies[$"{options.Cookie.Name}C{i}"]!.Value));
        }

        AuthenticationTicket ticket = options.TicketDataFormat.Unprotect(value) ?? throw new InvalidOperationException("The console cookie does not decrypt.");
        return ticket.Principal;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may hold the file a moment longer; the temp folder is cleaned by the system.
        }
    }
}
