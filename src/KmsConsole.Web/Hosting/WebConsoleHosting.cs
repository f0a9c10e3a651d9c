using System.Reflection;
using KmsConsole.Rotation;
using KmsConsole.Web.Api;
using KmsConsole.Web.Audit;
using KmsConsole.Web.Components;
using KmsConsole.Web.Components.Compliance;
using KmsConsole.Web.Operations;
using KmsConsole.Web.Security;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using MudBlazor.Services;

namespace KmsConsole.Web.Hosting;

/// <summary>The console's wiring: services in <see cref="AddWebConsole"/>, the pipeline in <see cref="UseWebConsole"/>.</summary>
public static class WebConsoleHosting
{
    public static WebApplicationBuilder AddWebConsole(this WebApplicationBuilder builder, string[] args)
    {
        AddEmbeddedDefaults(builder.Configuration);
        HonourUrlsFromEnvironment(builder, args);

        // Package and framework assets (MudBlazor, blazor.web.js) from the build output too, not only when published.
        builder.WebHost.UseStaticWebAssets();

        builder.Services.AddRazorComponents().AddInteractiveServerComponents().AddHubOptions(RequestLimits.ForCircuit);
        builder.Services.AddMudServices();

        builder.Services.AddOptions<ConsoleOptions>()
            .Bind(builder.Configuration.GetSection(ConsoleOptions.SectionName))
            .Validate(o => LocalSignIn.IsLoopback(o.LocalKmsUrl), "Console:LocalKmsUrl must be a loopback address.")
            .ValidateOnStart();

        AddLocalKms(builder);
        builder.AddRotation();
        builder.Services.AddHostedService<InitialInventorySync>();
        builder.AddConsoleOperations();
        builder.AddSharedDataProtection();

        AddSignIn(builder);
        builder.AddConsoleSecurity();
        return builder;
    }

    /// <summary>
    /// Hosts the local KMS endpoint when asked to, or (Auto) when no Rotation target is configured,
    /// and adds the Rotation target that points at it.
    /// </summary>
    private static void AddLocalKms(WebApplicationBuilder builder)
    {
        var console = builder.Configuration.GetSection(ConsoleOptions.SectionName).Get<ConsoleOptions>() ?? new ConsoleOptions();
        var configuredTargets = builder.Configuration.GetSection("Rotation:Targets").GetChildren().Count();
        var host = console.HostLocalKms switch
        {
            LocalKmsHosting.Always => true,
            LocalKmsHosting.Never => false,
            _ => configuredTargets == 0,
        };
        if (!host)
        {
            return;
        }

        builder.Services.PostConfigure<RotationOptions>(rotation => rotation.Targets.Add(new KmsTarget
        {
            Name = console.LocalTargetName,
            ServiceUrl = console.LocalKmsUrl,
            Region = builder.Configuration["LocalKms:Region"] ?? "us-east-1",
            // The local endpoint takes the access key id as the caller's name; there is no real secret to keep.
            AccessKeyId = console.LocalTargetAccessKeyId,
            SecretAccessKey = "local-endpoint",
        }));
        builder.Services.AddSingleton<HostedLocalKms>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HostedLocalKms>());
    }

    public static WebApplication UseWebConsole(this WebApplication app)
    {
        app.UseConsoleSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);

        var assets = AssetsFolder.Locate(app.Environment.ContentRootPath);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(assets),
            RequestPath = AssetsFolder.RequestPath,
        });

        var signIn = app.Services.GetRequiredService<SignInSettings>();
        app.UseCookiePolicy();
        app.UseAuthentication();
        app.UseSignedInCircuits();
        app.UseNoConsoleRoleGate();
        app.UseRouting();
        app.UseAuthorization();
        app.UseSignedInUserLogScope();
        app.UseAntiforgery();
        app.UseReadinessFallback();
        app.UseConsoleApi();

        app.MapStaticAssets();
        app.MapGet("/favicon.ico", () => Results.Redirect($"{AssetsFolder.RequestPath}/favicon.svg")).AllowAnonymous();
        if (signIn.IsExternal)
        {
            app.MapExternalSignIn();
        }
        else
        {
            app.MapLocalSignIn();
            RefuseNonLoopbackAddressesOnceListening(app);
        }

        app.MapAuditExport();
        app.MapComplianceReport();
        app.MapConsoleApi();
        app.MapConsoleOperations();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.Logger.LogInformation("Sign-in: {SignIn}.", signIn.Description);

        return app;
    }

    private static void AddSignIn(WebApplicationBuilder builder)
    {
        var provider = SignInSettings.ProviderIn(builder.Configuration);
        SignInSettings settings;
        switch (provider)
        {
            case SignInProvider.EntraId:
            {
                var section = builder.Configuration.GetSection(SignInSettings.EntraIdSection);
                var entraId = EntraIdSignInSettings.Read(section);
                builder.Services.AddEntraIdSignIn(entraId, section);
                settings = new SignInSettings(provider, entraId.RoleMapping, entraId.ToString()) { IdentityProviders = [entraId.Instance] };
                break;
            }

            case SignInProvider.OpenIdConnect:
            {
                var openIdConnect = OpenIdConnectSignInSettings.Read(builder.Configuration.GetSection(SignInSettings.OpenIdConnectSection));
                builder.Services.AddOpenIdConnectSignIn(openIdConnect);
                settings = new SignInSettings(provider, openIdConnect.RoleMapping, openIdConnect.ToString()) { IdentityProviders = [openIdConnect.Authority] };
                break;
            }

            default:
                LocalSignIn.EnsureLoopback(LocalSignIn.ConfiguredAddresses(builder.Configuration));
                builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
                    .AddCookie(options =>
                    {
                        options.LoginPath = LocalSignIn.SignInPath;
                        options.AccessDeniedPath = "/denied";
                        options.Cookie.Name = "KmsConsole.SignIn";
                        options.Cookie.HttpOnly = true;
                        options.Cookie.SameSite = SameSiteMode.Strict;
                        options.SlidingExpiration = true;
                        options.ExpireTimeSpan = TimeSpan.FromHours(8);
                        ConsoleCookies.RefuseScriptsWithStatus(options);
                    });
                settings = SignInSettings.Local;
                break;
        }

        builder.Services.AddSingleton(settings);
        builder.AddConsoleApi(settings);
        builder.Services.AddAuthorizationBuilder().AddConsolePolicies();
        builder.Services.AddCascadingAuthenticationState();
    }

    /// <summary>
    /// The settings that make <c>dotnet run</c> work on a fresh clone, embedded in the assembly so they
    /// apply whatever the working directory; an appsettings.json in the content root, environment
    /// variables and the command line override them.
    /// </summary>
    private static void AddEmbeddedDefaults(ConfigurationManager configuration)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("KmsConsole.Web.appsettings.json")
            ?? throw new InvalidOperationException("The embedded appsettings.json is missing from the build.");
        configuration.Sources.Insert(0, new JsonStreamConfigurationSource { Stream = stream });
    }

    /// <summary>
    /// appsettings' <c>urls</c> would otherwise outrank ASPNETCORE_URLS (which is read before the
    /// settings files), so a container's listening address set in the environment would be ignored.
    /// </summary>
    private static void HonourUrlsFromEnvironment(WebApplicationBuilder builder, string[] args)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("ASPNETCORE_URLS");
        var onCommandLine = args.Any(a => a.StartsWith("--urls", StringComparison.OrdinalIgnoreCase) || a.StartsWith("/urls", StringComparison.OrdinalIgnoreCase));
        if (!string.IsNullOrWhiteSpace(fromEnvironment) && !onCommandLine)
        {
            builder.Configuration["urls"] = fromEnvironment;
        }
    }

    private static void RefuseNonLoopbackAddressesOnceListening(WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            try
            {
                LocalSignIn.EnsureLoopback(addresses);
            }
            catch (InvalidOperationException refused)
            {
                app.Logger.LogCritical("{Reason} Stopping.", refused.Message);
                Environment.ExitCode = 1;
                app.Lifetime.StopApplication();
            }
        });
    }
}
