using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using KmsConsole.Web.Security;

namespace KmsConsole.Web.SignIn;

/// <summary>
/// Local sign-in: a page of demo users and a cookie. It is only safe where nobody else can reach
/// the console, so it is only allowed when every address the console listens on is loopback and no
/// AzureAd / OpenIdConnect section is configured.
/// </summary>
public static class LocalSignIn
{
    public const string SignInPath = "/signin";
    public const string SignInEndpoint = "/account/signin";
    public const string SignOutEndpoint = "/account/signout";

    /// <summary>Refuses a listening address that is not loopback while local sign-in is on.</summary>
    public static void EnsureLoopback(IEnumerable<string> addresses)
    {
        var exposed = addresses.Where(a => !IsLoopback(a)).ToList();
        if (exposed.Count > 0)
        {
            throw new InvalidOperationException(
                $"Local sign-in is only allowed when the console listens on loopback, but it would listen on {string.Join(", ", exposed)}. " +
                "Set the listening address (the urls setting: --urls, ASPNETCORE_URLS or \"urls\" in appsettings.json; or Kestrel:Endpoints) " +
                "to a loopback address such as http://127.0.0.1:5080, or configure an AzureAd or OpenIdConnect section so people sign in through an identity provider.");
        }
    }

    /// <summary>The addresses the configuration asks Kestrel to listen on.</summary>
    public static IEnumerable<string> ConfiguredAddresses(IConfiguration configuration)
    {
        foreach (var url in (configuration["urls"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            yield return url;
        }

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url)
            {
                yield return url;
            }
        }

        foreach (var key in new[] { "http_ports", "https_ports" })
        {
            foreach (var port in (configuration[key] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // ASPNETCORE_HTTP_PORTS binds every interface.
                yield return $"http://*:{port}";
            }
        }
    }

    public static bool IsLoopback(string address)
    {
        var schemeEnd = address.IndexOf("://", StringComparison.Ordinal);
        var rest = schemeEnd >= 0 ? address[(schemeEnd + 3)..] : address;
        var slash = rest.IndexOf('/');
        var hostPort = slash >= 0 ? rest[..slash] : rest;
        string host;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']');
            host = close > 0 ? hostPort[1..close] : hostPort;
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon >= 0 ? hostPort[..colon] : hostPort;
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    public static ClaimsPrincipal PrincipalFor(DemoUser user)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.UserId),
            new(ClaimTypes.Name, user.DisplayName),
        };
        claims.AddRange(DemoUsers.RolesOf(user).Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static IEndpointRouteBuilder MapLocalSignIn(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(SignInEndpoint, async (HttpContext context) =>
        {
            var (form, refusal) = await FormPosts.ReadAsync(context.Request);
            if (form is null)
            {
                return refusal!;
            }

            var demoUser = DemoUsers.Find(form["user"].ToString());
            if (demoUser is null)
            {
                return Results.Redirect($"{SignInPath}?error=unknown-user");
            }

            string? returnUrl = form["returnUrl"];
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, PrincipalFor(demoUser));
            return Results.LocalRedirect(RedirectHttpResult.IsLocalUrl(returnUrl) ? returnUrl! : "/");
        }).AllowAnonymous().AsConsoleFormPost();

        endpoints.MapPost(SignOutEndpoint, async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(SignInPath);
        }).AllowAnonymous().AsConsoleFormPost();

        return endpoints;
    }
}
