using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace KmsConsole.SignIn.Tests;

/// <summary>A person the test provider knows, with the role values it puts in their tokens' <c>roles</c> claim.</summary>
public sealed record ProviderUser(string Subject, string Name, params string[] Roles);

/// <summary>
/// An OpenID Connect provider on http://127.0.0.1 (OpenIddict, its stores in an in-memory SQLite database): code flow
/// with PKCE, an end-session endpoint, and a user who is "already signed in at the provider" once a browser has
/// visited <c>/test/login?user=...</c>, so the authorization endpoint answers at once as a single sign-on would.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "kmsconsole";
    public const string ClientSecret = "test-provider-secret";
    private const string ProviderCookie = "provider";

    private readonly WebApplication _app;
    private readonly SqliteConnection _database;
    private readonly ConcurrentDictionary<string, ProviderUser> _users = new();

    private TestIdentityProvider(WebApplication app, SqliteConnection database)
    {
        _app = app;
        _database = database;
    }

    public Uri Issuer { get; private set; } = null!;

    /// <summary>How many end-session requests the provider received.</summary>
    public int EndSessionRequests { get; private set; }

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var database = new SqliteConnection("Data Source=:memory:");
        await database.OpenAsync();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddDbContext<ProviderDbContext>(o => o.UseSqlite(database).UseOpenIddict());
        builder.Services.AddAuthentication(ProviderCookie).AddCookie(ProviderCookie, o => o.Cookie.Name = "provider.session");
        builder.Services.AddAuthorization();
        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<ProviderDbContext>())
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetEndSessionEndpointUris("connect/endsession");
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();
                o.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email);
                o.RegisterClaims("roles");
                o.AddEphemeralEncryptionKey().AddEphemeralSigningKey();
                o.DisableAccessTokenEncryption();
                o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .DisableTransportSecurityRequirement();
            });

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ProviderDbContext>().Database.EnsureCreatedAsync();
        }

        var provider = new TestIdentityProvider(app, database);
        provider.MapEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        provider.Issuer = new Uri(address + "/");
        return provider;
    }

    public void AddUser(ProviderUser user) => _users[user.Subject] = user;

    /// <summary>Registers the console as a confidential client with its callback addresses.</summary>
    public async Task RegisterConsoleAsync(Uri console)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await applications.CreateAsync(new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = ClientSecret,
            ClientType = ClientTypes.Confidential,
            ConsentType = ConsentTypes.Implicit,
            RedirectUris = { new Uri(console, "signin-oidc") },
            PostLogoutRedirectUris = { new Uri(console, "signout-callback-oidc") },
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile, Permissions.Scopes.Email,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        });
    }

    public Uri LoginAddress(string subject) => new(Issuer, $"test/login?user={Uri.EscapeDataString(subject)}");

    private void MapEndpoints()
    {
        _app.MapGet("/test/login", async (HttpContext context, string user) =>
        {
            if (!_users.ContainsKey(user))
            {
                return Results.NotFound($"The test provider has no user {user}.");
            }

            var identity = new ClaimsIdentity([new Claim(Claims.Subject, user)], ProviderCookie);
            await context.SignInAsync(ProviderCookie, new ClaimsPrincipal(identity));
            return Results.Text($"Signed in at the provider as {user}.");
        });

        _app.MapMethods("/connect/authorize", [HttpMethods.Get, HttpMethods.Post], async (HttpContext context) =>
        {
            var request = context.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("No OpenID Connect request.");
            var session = await context.AuthenticateAsync(ProviderCookie);
            if (!session.Succeeded || !_users.TryGetValue(session.Principal!.FindFirst(Claims.Subject)!.Value, out var user))
            {
                return Results.Text("Nobody is signed in at the test provider.", statusCode: StatusCodes.Status401Unauthorized);
            }

            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, user.Subject)
                .SetClaim(Claims.Name, user.Name)
                .SetClaim(Claims.PreferredUsername, $"{user.Subject}@example.test")
                .SetClaims("roles", [.. user.Roles]);
            identity.SetScopes(request.GetScopes());
            identity.SetDestinations(_ => [Destinations.IdentityToken, Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });

        _app.MapPost("/connect/token", async (HttpContext context) =>
        {
            var code = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            return Results.SignIn(code.Principal!, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        });

        _app.MapMethods("/connect/endsession", [HttpMethods.Get, HttpMethods.Post], async (HttpContext context) =>
        {
            EndSessionRequests++;
            await context.SignOutAsync(ProviderCookie);
            return Results.SignOut(authenticationSchemes: [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }
}

public sealed class ProviderDbContext(DbContextOptions<ProviderDbContext> options) : DbContext(options);
