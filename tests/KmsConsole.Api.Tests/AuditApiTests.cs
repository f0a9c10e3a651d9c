using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace KmsConsole.Api.Tests;

public sealed partial class AuditApiTests
{
    [Fact]
    public async Task An_auditor_reads_exports_and_verifies_the_trail_against_a_head_noted_earlier()
    {
        await using var console = await ApiConsole.StartAsync();
        using var auditor = console.Client(await console.TokenForAsync(ApiConsole.Demo("audrey")));

        var page = await ApiConsole.JsonOf(await auditor.GetAsync("api/v1/audit?action=token.created&pageSize=10"));
        Assert.Equal(1, page.GetProperty("totalCount").GetInt32());
        var verified = await ApiConsole.JsonOf(await auditor.PostAsJsonAsync("api/v1/audit/verify", new { }));
        Assert.True(verified.GetProperty("intact").GetBoolean());
        var head = verified.GetProperty("head").GetString();

        var anchored = await ApiConsole.JsonOf(await auditor.PostAsJsonAsync("api/v1/audit/verify", new { anchor = head }));
        Assert.True(anchored.GetProperty("intact").GetBoolean());
        var badAnchor = await auditor.PostAsJsonAsync("api/v1/audit/verify", new { anchor = "not-an-anchor" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badAnchor.StatusCode);
        Assert.Equal("anchor", (await ApiConsole.JsonOf(badAnchor)).GetProperty("field").GetString());

        var csv = await auditor.GetAsync("api/v1/audit/export.csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("token.created", await csv.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_requester_may_not_read_the_audit_trail()
    {
        await using var console = await ApiConsole.StartAsync();
        using var requester = console.Client(await console.TokenForAsync(ApiConsole.Demo("rita")));

        Assert.Equal(HttpStatusCode.Forbidden, (await requester.GetAsync("api/v1/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await requester.GetAsync("api/v1/audit/export.csv")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_and_its_reference_page_are_for_signed_in_users()
    {
        await using var console = await ApiConsole.StartAsync();
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = console.Address };

        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("openapi/v1.json")).StatusCode);
        var signInPage = await (await browser.GetAsync("signin")).Content.ReadAsStringAsync();
        var token = WebUtility.HtmlDecode(AntiforgeryField().Match(signInPage).Groups["token"].Value);
        var signIn = await browser.PostAsync("account/signin", new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("user", "rita"), new("returnUrl", "/")]));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);

        var document = await ApiConsole.JsonOf(await browser.GetAsync("openapi/v1.json"));
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/keys", "/api/v1/runs", "/api/v1/runs/{id}/approve", "/api/v1/approvals", "/api/v1/audit/verify",
                     "/api/v1/policies", "/api/v1/policies/versions/{versionId}/approve", "/api/v1/compliance/report", "/api/v1/exemptions", "/api/v1/campaigns/{id}/progress" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from {string.Join(", ", paths.EnumerateObject().Select(p => p.Name))}");
        }

        Assert.Equal("alias/FirstCMK", paths.GetProperty("/api/v1/runs").GetProperty("post").GetProperty("requestBody").GetProperty("content")
            .GetProperty("application/json").GetProperty("example").GetProperty("keyId").GetString());
        var withoutExample = paths.EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => (Name: $"{operation.Name.ToUpperInvariant()} {path.Name}", Operation: operation.Value)))
            .Where(o => o.Operation.TryGetProperty("requestBody", out var body) && body.GetProperty("content").TryGetProperty("application/json", out var json)
                && !json.TryGetProperty("example", out _))
            .Select(o => o.Name).ToList();
        Assert.True(withoutExample.Count == 0, $"request bodies without an example: {string.Join(", ", withoutExample)}");
        Assert.True(document.GetProperty("components").GetProperty("schemas").TryGetProperty("RunResponse", out _));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("scalar/v1")).StatusCode);
    }

    [GeneratedRegex(@"name=""__RequestVerificationToken""[^>]*value=""(?<token>[^""]+)""")]
    private static partial Regex AntiforgeryField();
}
