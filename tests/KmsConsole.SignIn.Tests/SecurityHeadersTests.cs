using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace KmsConsole.SignIn.Tests;

/// <summary>
/// Every route the console maps (read from its EndpointDataSource, so a route added later cannot escape) answers
/// with the security headers, signed out and signed in, over https and over http.
/// </summary>
public sealed class SecurityHeadersTests
{
    [Fact]
    public async Task Every_route_answers_with_the_security_headers_over_https()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        var missing = await MissingHeadersAsync(console, https: true);
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public async Task Every_route_answers_with_the_security_headers_over_http_without_HSTS()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>(), https: false);
        var missing = await MissingHeadersAsync(console, https: false);
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public async Task Each_response_has_a_nonce_of_its_own_and_the_import_map_carries_it()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        using var browser = new TestBrowser();
        var nonces = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var page = await browser.GetAsync(new Uri(console.Address, "signin"));
            var policy = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
            var nonce = System.Text.RegularExpressions.Regex.Match(policy, "'nonce-(?<n>[^']+)'").Groups["n"].Value;
            Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\">", WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync()));
            nonces.Add(nonce);
        }

        Assert.Equal(24, nonces[0].Length);
        Assert.NotEqual(nonces[0], nonces[1]);
    }

    [Fact]
    public async Task The_audit_export_is_never_stored_by_a_cache()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        using var audrey = new TestBrowser();
        await audrey.SignInAsync(console, "audrey");
        using var export = await audrey.FetchAsync(new Uri(console.Address, "audit/export.csv"));
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("no-store", export.Headers.CacheControl!.ToString());
        Assert.StartsWith("Sequence", (await export.Content.ReadAsStringAsync()).TrimStart('\uFEFF'), StringComparison.Ordinal);
    }

    /// <summary>Requests every route once anonymously and once as the admin; one line per header a response lacks.</summary>
    private static async Task<List<string>> MissingHeadersAsync(ConsoleServer console, bool https)
    {
        var routes = Routes(console).ToList();
        Assert.Contains(routes, r => r.Path == "/audit/export.csv");
        Assert.Contains(routes, r => r.Path.StartsWith("/api/v1/audit", StringComparison.Ordinal));
        Assert.Contains(routes, r => r.Path == "/account/signout");
        Assert.Contains(routes, r => r.Path.StartsWith("/_blazor", StringComparison.Ordinal));
        Assert.Contains(routes, r => r.Path.StartsWith("/_framework/", StringComparison.Ordinal));

        using var anonymous = new TestBrowser();
        using var adam = new TestBrowser();
        await adam.SignInAsync(console, "adam");
        var missing = new List<string>();
        foreach (var (who, browser) in new[] { ("anonymous", anonymous), ("adam", adam) })
        {
            foreach (var (method, path) in routes)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(console.Address, path.TrimStart('/')));
                if (method == HttpMethods.Post)
                {
                    request.Content = new FormUrlEncodedContent([]);
                }

                using var response = await browser.SendAsync(request);
                var where = $"{method} {path} as {who} ({(int)response.StatusCode})";
                Assert.True((int)response.StatusCode < 500, $"{where}: a server error.");
                foreach (var problem in Problems(response, path, https))
                {
                    missing.Add($"{where}: {problem}");
                }
            }
        }

        return missing;
    }

    private static IEnumerable<string> Problems(HttpResponseMessage response, string path, bool https)
    {
        string Header(string name) =>
            response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : "";

        var policy = Header("Content-Security-Policy");
        foreach (var directive in new[] { "default-src 'self'", "script-src 'self' 'nonce-", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'" })
        {
            if (!policy.Contains(directive, StringComparison.Ordinal))
            {
                yield return $"Content-Security-Policy lacks {directive} (it is '{policy}')";
            }
        }

        if (policy.Contains("'unsafe-inline'", StringComparison.Ordinal) && policy.Split(';').Any(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal) && d.Contains("unsafe", StringComparison.Ordinal)))
        {
            yield return "script-src allows unsafe inline scripts";
        }

        if (Header("X-Content-Type-Options") != "nosniff")
        {
            yield return "no X-Content-Type-Options: nosniff";
        }

        if (Header("Referrer-Policy") != "no-referrer")
        {
            yield return "no Referrer-Policy: no-referrer";
        }

        if (!Header("Permissions-Policy").Contains("camera=()", StringComparison.Ordinal))
        {
            yield return "no Permissions-Policy";
        }

        if (Header("Server") != "")
        {
            yield return $"a Server header ({Header("Server")})";
        }

        var hsts = Header("Strict-Transport-Security");
        if (https && !hsts.StartsWith("max-age=", StringComparison.Ordinal))
        {
            yield return "no Strict-Transport-Security over https";
        }

        if (!https && hsts != "")
        {
            yield return "Strict-Transport-Security over plain http";
        }

        if ((path.StartsWith("/audit/export", StringComparison.Ordinal) || path.StartsWith("/api/v1/audit", StringComparison.Ordinal)) && Header("Cache-Control") != "no-store")
        {
            yield return $"an audit answer may be cached (Cache-Control: {Header("Cache-Control")})";
        }
    }

    /// <summary>Each endpoint's route with sample values in its parameters, and each method it answers.</summary>
    private static IEnumerable<(string Method, string Path)> Routes(ConsoleServer console)
    {
        var seen = new HashSet<(string, string)>();
        foreach (var endpoint in console.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(Sample))));
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get];
            foreach (var method in methods.Count == 0 ? [HttpMethods.Get] : methods)
            {
                if (method is not ("GET" or "POST") || !seen.Add((method, path)))
                {
                    continue;
                }

                yield return (method, path);
            }
        }
    }

    private static string Sample(RoutePatternPart part) => part switch
    {
        RoutePatternLiteralPart literal => literal.Content,
        RoutePatternSeparatorPart separator => separator.Content,
        RoutePatternParameterPart { Name: "Target" } => "local",
        RoutePatternParameterPart p when p.ParameterPolicies.Any(policy => policy.Content == "guid") => Guid.NewGuid().ToString(),
        RoutePatternParameterPart => "sample",
        _ => "",
    };
}
