using System.Net;
using System.Text.RegularExpressions;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>The CSV export endpoint over plain HTTP, signed in as the demo users with a cookie.</summary>
public sealed partial class AuditExportTests
{
    [Fact]
    public async Task Audit_export_is_served_to_the_auditor_and_refused_to_a_requester()
    {
        await using var console = await ConsoleProcess.StartAsync();

        using var rita = await SignedInClientAsync(console, "rita");
        // A script (no text/html in Accept) is told 403; a person's browser is sent to the "not allowed" page.
        using var refused = await rita.GetAsync("audit/export.csv");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var page = new HttpRequestMessage(HttpMethod.Get, "audit/export.csv");
        page.Headers.Accept.ParseAdd("text/html");
        using var redirected = await rita.SendAsync(page);
        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        Assert.Contains("/denied", redirected.Headers.Location!.ToString());

        using var audrey = await SignedInClientAsync(console, "audrey");
        using var export = await audrey.GetAsync("audit/export.csv", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("text/csv", export.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", export.Content.Headers.ContentDisposition!.ToString());
        var csv = await export.Content.ReadAsStringAsync();
        Assert.StartsWith("Sequence", csv.TrimStart('\uFEFF'), StringComparison.OrdinalIgnoreCase);

        using var signedOut = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = console.BaseAddress };
        using var anonymous = await signedOut.GetAsync("audit/export.csv");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/signin", anonymous.Headers.Location!.ToString());
    }

    private static async Task<HttpClient> SignedInClientAsync(ConsoleProcess console, string user)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = console.BaseAddress };
        var page = await client.GetStringAsync("signin");
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        using var response = await client.PostAsync("account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["user"] = user,
            ["returnUrl"] = "/",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
