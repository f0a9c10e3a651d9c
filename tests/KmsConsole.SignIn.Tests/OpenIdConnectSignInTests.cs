using System.Net;
using System.Security.Claims;
using KmsConsole.Rotation;
using Microsoft.AspNetCore.WebUtilities;

namespace KmsConsole.SignIn.Tests;

[Collection(OpenIdConnectConsoleCollection.Name)]
public sealed class OpenIdConnectSignInTests(OpenIdConnectConsole world)
{
    [Fact]
    public async Task An_anonymous_page_request_is_sent_to_the_providers_authorize_endpoint_with_the_code_flow_and_PKCE()
    {
        using var browser = new TestBrowser();
        using var response = await browser.GetAsync(world.At("keys"));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal(new Uri(world.Provider.Issuer, "connect/authorize").GetLeftPart(UriPartial.Path), location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(TestIdentityProvider.ClientId, query["client_id"]);
        Assert.Equal(world.At("signin-oidc").ToString(), query["redirect_uri"]);
        Assert.Equal(["openid", "profile", "email"], query["scope"].ToString().Split(' '));
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        Assert.DoesNotContain("client_secret", location.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_in_through_the_provider_shows_the_user_with_the_mapped_roles()
    {
        using var browser = new TestBrowser();
        using (await browser.GetAsync(world.Provider.LoginAddress(OpenIdConnectConsole.Alice.Subject)))
        {
        }

        using var page = await browser.NavigateAsync(world.At(""));
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(browser.Visited, u => u.AbsolutePath == "/connect/authorize" && u.Port == world.Provider.Issuer.Port);
        Assert.Contains(browser.Visited, u => u.AbsolutePath == "/signin-oidc" && u.Port == world.Console.Address.Port);
        Assert.Equal(world.Console.Address, browser.Visited[^1]);
        Assert.Contains("Alice Example", html);
        Assert.Contains("(Requester, Approver)", html);
        Assert.Contains(">Dashboard</h1>", html);

        var principal = world.PrincipalOf(browser);
        Assert.Equal($"alice@{world.Provider.Issuer}", principal.FindFirstValue(ClaimTypes.NameIdentifier));
        Assert.Equal(
            [Roles.Viewer, Roles.Requester, Roles.Approver],
            principal.FindAll(ClaimTypes.Role).Select(c => c.Value));
        var actor = world.ActorOf(browser);
        Assert.True(actor.IsIn(Roles.Approver));
        Assert.False(actor.IsIn(Roles.Auditor));
    }

    [Theory]
    [InlineData("https%3A%2F%2Fevil.example%2F")]
    [InlineData("%2F%2Fevil.example%2F")]
    [InlineData("%2F%5Cevil.example%2F")]
    [InlineData("%2F%09%2Fevil.example%2F")]
    public async Task A_return_address_off_the_console_lands_on_the_home_page(string returnUrl)
    {
        using var browser = new TestBrowser();
        using (await browser.GetAsync(world.Provider.LoginAddress(OpenIdConnectConsole.Bob.Subject)))
        {
        }

        using var landed = await browser.NavigateAsync(world.At($"signin?returnUrl={returnUrl}"));
        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Equal(world.Console.Address, browser.Visited[^1]);
    }

    [Fact]
    public async Task Sign_in_returns_to_the_page_asked_for_and_never_to_another_site()
    {
        using var browser = new TestBrowser();
        using (await browser.GetAsync(world.Provider.LoginAddress(OpenIdConnectConsole.Bob.Subject)))
        {
        }

        using (var runs = await browser.NavigateAsync(world.At("runs?state=Failed")))
        {
            Assert.Equal(HttpStatusCode.OK, runs.StatusCode);
            Assert.Equal(world.At("runs?state=Failed"), browser.Visited[^1]);
        }

        using var signIn = await browser.GetAsync(world.At("signin?returnUrl=https%3A%2F%2Fevil.example%2F"));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.StartsWith(new Uri(world.Provider.Issuer, "connect/authorize").ToString(), signIn.Headers.Location!.ToString());
        using var landed = await browser.NavigateAsync(signIn.Headers.Location!);
        Assert.Equal(world.Console.Address, browser.Visited[^1]);
    }

    [Fact]
    public async Task A_signed_in_user_without_a_console_role_sees_only_the_no_role_page()
    {
        using var nora = await world.SignedInAsync(OpenIdConnectConsole.Nora);
        Assert.Empty(world.PrincipalOf(nora).FindAll(ClaimTypes.Role));

        foreach (var path in new[] { "", "keys", "runs", "approvals", "audit", "keys/alias%2FFirstCMK" })
        {
            using var page = await nora.GetAsync(world.At(path));
            var html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
            Assert.Contains("You have no role in KmsConsole", html);
            Assert.Contains("KmsConsole.Approver", html);
            Assert.DoesNotContain("FirstCMK", html);
            Assert.DoesNotContain(">Dashboard</h1>", html);
        }

        using var export = await nora.FetchAsync(world.At("audit/export.csv"));
        Assert.Equal(HttpStatusCode.Forbidden, export.StatusCode);
        Assert.Equal("You have no role in KmsConsole.", await export.Content.ReadAsStringAsync());
        using var circuit = await nora.PostAsync(world.At("_blazor/negotiate?negotiateVersion=1"), []);
        Assert.Equal(HttpStatusCode.Forbidden, circuit.StatusCode);

        // The same export for someone who holds the Auditor role.
        using var audrey = await world.SignedInAsync(OpenIdConnectConsole.Audrey);
        using var audited = await audrey.FetchAsync(world.At("audit/export.csv"));
        Assert.Equal(HttpStatusCode.OK, audited.StatusCode);
        Assert.StartsWith("text/csv", audited.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Sign_out_ends_the_session_at_the_provider_and_lands_on_the_signed_out_page()
    {
        using var browser = await world.SignedInAsync(OpenIdConnectConsole.Bob);
        var endSessions = world.Provider.EndSessionRequests;

        var token = await browser.AntiforgeryTokenAsync(world.At("keys"));
        using var signOut = await browser.PostAsync(world.At("account/signout"), [new("__RequestVerificationToken", token)]);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        var location = signOut.Headers.Location!;
        Assert.Equal(new Uri(world.Provider.Issuer, "connect/endsession").GetLeftPart(UriPartial.Path), location.GetLeftPart(UriPartial.Path));
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(world.At("signout-callback-oidc").ToString(), query["post_logout_redirect_uri"]);
        Assert.False(string.IsNullOrEmpty(query["id_token_hint"]));

        using var landed = await browser.NavigateAsync(location);
        Assert.Equal(world.At("signed-out"), browser.Visited[^1]);
        Assert.Contains("You have signed out of KmsConsole", await landed.Content.ReadAsStringAsync());
        Assert.Equal(endSessions + 1, world.Provider.EndSessionRequests);

        using var again = await browser.GetAsync(world.At(""));
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal(world.Provider.Issuer.Port, again.Headers.Location!.Port);
    }

    [Fact]
    public async Task A_sign_in_answer_the_console_did_not_ask_for_ends_on_a_page_not_an_error()
    {
        using var browser = new TestBrowser();
        using var forged = await browser.PostAsync(world.At("signin-oidc"), [new("code", "stolen-code"), new("state", "not-our-state")]);

        Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
        using var page = await browser.NavigateAsync(new Uri(world.Console.Address, forged.Headers.Location!));
        Assert.Equal(world.At("signed-out?error=sign-in-failed"), browser.Visited[^1]);
        Assert.Contains("Sign-in did not complete", await page.Content.ReadAsStringAsync());
        Assert.DoesNotContain(browser.Cookies.GetCookies(world.Console.Address), c => c.Name.StartsWith("KmsConsole.SignIn", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Local_sign_in_is_refused_when_a_provider_signs_people_in()
    {
        using var browser = new TestBrowser();
        using var signIn = await browser.PostAsync(world.At("account/signin"), [new("user", "adam"), new("returnUrl", "/")]);

        Assert.NotEqual(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.DoesNotContain(browser.Cookies.GetCookies(world.Console.Address), c => c.Name.StartsWith("KmsConsole.SignIn", StringComparison.Ordinal));
        using var page = await browser.GetAsync(world.At("signin"));
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal(world.Provider.Issuer.Port, page.Headers.Location!.Port);
    }

    [Fact]
    public async Task Neither_the_client_secret_nor_any_token_reaches_the_log()
    {
        using var browser = await world.SignedInAsync(OpenIdConnectConsole.Audrey);
        var cookie = browser.Cookies.GetCookies(world.Console.Address)["KmsConsole.SignIn"]!.Value;
        var lines = world.Logs.Lines;

        Assert.Contains(lines, l => l.Contains("Sign-in: OpenID Connect provider", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"signed in as audrey@{world.Provider.Issuer}", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(TestIdentityProvider.ClientSecret, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("eyJ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(cookie[..40], StringComparison.Ordinal));
    }
}
