using System.Net;
using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.Api.Tests;

/// <summary>The Access tokens page in Chromium: a person makes a token, sees it once, and revokes it.</summary>
public sealed class AccessTokensPageTests
{
    [SkippableFact]
    public async Task A_person_makes_a_token_on_their_page_sees_it_once_uses_it_and_revokes_it()
    {
        Chromium.SkipIfMissing();
        await using var console = await ApiConsole.StartAsync();
        await using var chromium = await Chromium.StartAsync();
        var page = await chromium.NewWindowAsync();
        await page.GotoAsync(new Uri(console.Address, "signin").ToString());
        await page.Locator("[data-testid='signin-rita']").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));

        await page.WaitForInteractiveAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Access tokens", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/tokens", StringComparison.Ordinal));
        try
        {
            await page.Locator("#token-name").FillAsync("release pipeline");
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message}\nPage: {await page.Locator("body").InnerTextAsync()}\nConsole log:\n{console.Logs.Text}", timeout);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Make token" }).ClickAsync();
        var secret = await page.Locator("#created-token").InputValueAsync();
        Assert.StartsWith("kmsc_pat_", secret, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("[data-testid='tokens']")).ToContainTextAsync("release pipeline");

        using (var client = console.Client(secret))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/v1/runs")).StatusCode);
        }

        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();
        Assert.Equal(0, await page.Locator("#created-token").CountAsync());
        await Assertions.Expect(page.Locator("[data-testid='tokens']")).ToContainTextAsync("from 127.0.0.1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke release pipeline" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid='tokens']")).ToContainTextAsync("revoked");
        using (var client = console.Client(secret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("api/v1/runs")).StatusCode);
        }
    }
}
