using System.Net;
using System.Net.Http.Headers;

namespace KmsConsole.SignIn.Tests;

/// <summary>
/// The console's cookies and its form endpoints (sign-in, sign-out, export) against the real console on Kestrel,
/// over https with a certificate made by the test and over plain http.
/// </summary>
public sealed class CookieAndFormTests
{
    [Fact]
    public async Task Over_https_every_cookie_is_Secure_and_HttpOnly()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        var cookies = await CookiesOfASignInAsync(console);

        Assert.Contains(cookies, c => c.StartsWith(".AspNetCore.Antiforgery.", StringComparison.Ordinal));
        Assert.Contains(cookies, c => c.StartsWith("KmsConsole.SignIn=", StringComparison.Ordinal) && c.Contains("samesite=strict", StringComparison.OrdinalIgnoreCase));
        Assert.All(cookies, c =>
        {
            Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; httponly", c, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public async Task Over_http_every_cookie_is_HttpOnly_and_the_browser_may_still_send_it()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>(), https: false);
        var cookies = await CookiesOfASignInAsync(console);

        Assert.NotEmpty(cookies);
        Assert.All(cookies, c =>
        {
            Assert.Contains("; httponly", c, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("; secure", c, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public async Task Behind_a_TLS_proxy_that_forwards_the_scheme_cookies_are_Secure_and_HSTS_is_sent()
    {
        // What the README asks of an operator behind a proxy: ASPNETCORE_FORWARDEDHEADERS_ENABLED=true.
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?> { ["FORWARDEDHEADERS_ENABLED"] = "true" }, https: false);
        using var browser = new TestBrowser();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(console.Address, "signin"));
        request.Headers.Add("X-Forwarded-Proto", "https");

        using var page = await browser.SendAsync(request);
        using var direct = await browser.GetAsync(new Uri(console.Address, "signin"));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("max-age=", string.Join("", page.Headers.GetValues("Strict-Transport-Security")), StringComparison.Ordinal);
        Assert.Contains("; secure", Assert.Single(page.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
        Assert.False(direct.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Sign_out_without_a_valid_antiforgery_token_is_refused_and_the_user_stays_signed_in()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        using var browser = new TestBrowser();
        await browser.SignInAsync(console, "rita");

        // What a page on another site can make the browser send: the cookie, but no token of the console's page.
        using var forged = await browser.PostAsync(new Uri(console.Address, "account/signout"), []);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("anti-forgery token is missing or invalid", await forged.Content.ReadAsStringAsync());
        using var keys = await browser.GetAsync(new Uri(console.Address, "keys"));
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);

        var token = await browser.AntiforgeryTokenAsync(console);
        using var signOut = await browser.PostAsync(new Uri(console.Address, "account/signout"), [new("__RequestVerificationToken", token)]);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        using var after = await browser.GetAsync(new Uri(console.Address, "keys"));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Sign_in_without_a_valid_antiforgery_token_answers_400_with_a_message_and_logs_no_error()
    {
        var logs = new CapturedLogs();
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>(), logs);
        using var browser = new TestBrowser();

        using var missing = await browser.PostAsync(new Uri(console.Address, "account/signin"), [new("user", "adam")]);
        using var wrong = await browser.PostAsync(new Uri(console.Address, "account/signin"), [new("__RequestVerificationToken", "forged"), new("user", "adam")]);

        foreach (var response in new[] { missing, wrong })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("Reload the page and submit the form again", await response.Content.ReadAsStringAsync());
        }

        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
        using var keys = await browser.GetAsync(new Uri(console.Address, "keys"));
        Assert.Equal(HttpStatusCode.Redirect, keys.StatusCode);
    }

    [Fact]
    public async Task Bad_sign_in_bodies_answer_with_a_status_and_a_message_never_500()
    {
        var logs = new CapturedLogs();
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>(), logs);
        using var browser = new TestBrowser();
        var token = await browser.AntiforgeryTokenAsync(console);
        var signIn = new Uri(console.Address, "account/signin");

        using var json = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, signIn)
        {
            Content = new StringContent("""{"user":"adam"}""", new MediaTypeHeaderValue("application/json")),
        });
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.NotEmpty(await json.Content.ReadAsStringAsync());

        using var huge = await browser.PostAsync(signIn, [new("__RequestVerificationToken", token), new("user", new string('a', 200_000))]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains("larger than the 16 KB", await huge.Content.ReadAsStringAsync());

        using var noUser = await browser.PostAsync(signIn, [new("__RequestVerificationToken", token)]);
        Assert.Equal(HttpStatusCode.Redirect, noUser.StatusCode);
        Assert.Equal("/signin?error=unknown-user", noUser.Headers.Location!.ToString());

        using var offSite = await browser.PostAsync(signIn, [new("__RequestVerificationToken", token), new("user", "rita"), new("returnUrl", "https://evil.example/")]);
        Assert.Equal("/", offSite.Headers.Location!.ToString());

        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_requester_fetching_the_export_from_a_script_gets_403_while_a_person_sees_the_page()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        using var rita = new TestBrowser();
        await rita.SignInAsync(console, "rita");

        using var script = await rita.FetchAsync(new Uri(console.Address, "audit/export.csv"));
        Assert.Equal(HttpStatusCode.Forbidden, script.StatusCode);
        Assert.Contains("roles do not allow", await script.Content.ReadAsStringAsync());

        using var person = await rita.GetAsync(new Uri(console.Address, "audit/export.csv"));
        Assert.Equal(HttpStatusCode.Redirect, person.StatusCode);
        Assert.Equal("/denied", person.Headers.Location!.AbsolutePath);
    }

    [Theory]
    [InlineData("audit/export.csv?from=yesterday", "'from' and 'to' are days written yyyy-MM-dd")]
    [InlineData("audit/export.csv?to=2026-13-45", "'from' and 'to' are days written yyyy-MM-dd")]
    [InlineData("audit/export.csv?run=not-a-run", "The run id is not a valid id.")]
    public async Task A_bad_export_filter_answers_400_with_a_message(string path, string message)
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        using var audrey = new TestBrowser();
        await audrey.SignInAsync(console, "audrey");

        using var response = await audrey.FetchAsync(new Uri(console.Address, path));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_anonymous_visitor_never_opens_a_circuit()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        var negotiate = new Uri(console.Address, "_blazor/negotiate?negotiateVersion=1");
        using var anonymous = new TestBrowser();

        using var refused = await anonymous.PostAsync(negotiate, []);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var notFound = await anonymous.GetAsync(new Uri(console.Address, "not-found"));
        Assert.DoesNotContain("\"type\":\"server\"", await notFound.Content.ReadAsStringAsync());

        using var adam = new TestBrowser();
        await adam.SignInAsync(console, "adam");
        using var page = await adam.GetAsync(new Uri(console.Address, "keys"));
        Assert.Contains("\"type\":\"server\"", await page.Content.ReadAsStringAsync());
        using var accepted = await adam.PostAsync(negotiate, []);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Contains("connectionToken", await accepted.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readiness_includes_the_audit_integrity_check_and_needs_no_sign_in()
    {
        await using var console = await ConsoleServer.StartAsync(new Dictionary<string, string?>());
        using var anonymous = new TestBrowser();

        using var ready = await anonymous.FetchAsync(new Uri(console.Address, "health/ready"));

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var report = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        var audit = report.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "audit-integrity");
        Assert.Equal("Healthy", audit.GetProperty("status").GetString());
    }

    /// <summary>Every Set-Cookie of opening the sign-in page, signing in and opening a page.</summary>
    private static async Task<List<string>> CookiesOfASignInAsync(ConsoleServer console)
    {
        using var browser = new TestBrowser();
        var cookies = new List<string>();
        void Collect(HttpResponseMessage response) =>
            cookies.AddRange(response.Headers.TryGetValues("Set-Cookie", out var values) ? values : []);

        using (var page = await browser.GetAsync(new Uri(console.Address, "signin")))
        {
            Collect(page);
        }

        var token = await browser.AntiforgeryTokenAsync(console);
        using (var signIn = await browser.PostAsync(new Uri(console.Address, "account/signin"),
                   [new("__RequestVerificationToken", token), new("user", "adam"), new("returnUrl", "/keys")]))
        {
            Collect(signIn);
        }

        using (var keys = await browser.GetAsync(new Uri(console.Address, "keys")))
        {
            Collect(keys);
        }

        return cookies;
    }
}
