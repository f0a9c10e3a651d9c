using System.Net;
using Microsoft.AspNetCore.Http.Features;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KmsConsole.Api.Tests;

/// <summary>
/// An OpenID Connect issuer on 127.0.0.1 for bearer tokens: its discovery document and its JWKS (one RSA signing key),
/// and tokens signed with that key as a provider issues them to a service principal. The console fetches the keys
/// over HTTP as it would from Entra ID.
/// </summary>
public sealed class TokenIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RsaSecurityKey _key;

    private TokenIssuer(WebApplication app, RsaSecurityKey key, Uri issuer)
    {
        _app = app;
        _key = key;
        Issuer = issuer;
    }

    /// <summary>The issuer, as the console's <c>OpenIdConnect:Authority</c>.</summary>
    public Uri Issuer { get; }

    public int JwksRequests { get; private set; }

    public static async Task<TokenIssuer> StartAsync()
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "test-signing-key" };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        TokenIssuer? issuer = null;
        app.MapGet("/.well-known/openid-configuration", () => Results.Text(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["issuer"] = issuer!.Issuer.ToString(),
            ["jwks_uri"] = new Uri(issuer.Issuer, "keys").ToString(),
            ["authorization_endpoint"] = new Uri(issuer.Issuer, "authorize").ToString(),
            ["token_endpoint"] = new Uri(issuer.Issuer, "token").ToString(),
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }), "application/json"));
        app.MapGet("/keys", () =>
        {
            issuer!.JwksRequests++;
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.Rsa.ExportParameters(false)) { KeyId = key.KeyId });
            return Results.Text(JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, use = "sig", kid = jwk.Kid, alg = "RS256", n = jwk.N, e = jwk.E } } }),
                "application/json");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        issuer = new TokenIssuer(app, key, new Uri(address + "/"));
        return issuer;
    }

    /// <summary>A token for <paramref name="subject"/> with the given role claim values, signed by this issuer unless another key is given.</summary>
    public string TokenFor(string subject, string audience, IEnumerable<string> roles, string roleClaim = "roles", TimeSpan? lifetime = null,
        SecurityKey? signedWith = null, bool withSubject = true)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["name"] = $"Service principal {subject}", [roleClaim] = roles.ToArray() };
        if (withSubject)
        {
            claims["sub"] = subject;
        }

        var expires = now + (lifetime ?? TimeSpan.FromMinutes(30));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer.ToString(),
            Audience = audience,
            Claims = claims,
            IssuedAt = expires < now ? expires.AddMinutes(-5) : now,
            NotBefore = expires < now ? expires.AddMinutes(-5) : now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(signedWith ?? _key, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
