using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// The console's pages under its own Content-Security-Policy in Chromium: every page works without a violation
/// (Chromium disposes with a failure on any, in every browser test), and a script injected into a page is blocked.
/// </summary>
public sealed class ContentSecurityPolicyTests
{
    private static readonly string[] MenuPages = ["Dashboard", "Keys", "Runs", "Approvals", "Permissions", "Audit"];

    [SkippableFact]
    public async Task Every_page_renders_and_goes_live_under_the_policy_without_a_violation()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();
        var page = await chromium.NewWindowAsync();

        var signIn = await page.GotoAsync(new Uri(console.BaseAddress, "signin").ToString());
        Assert.Contains("script-src 'self' 'nonce-", (await signIn!.AllHeadersAsync())["content-security-policy"]);
        await page.GotoAsync(new Uri(console.BaseAddress, "no-such-page").ToString());

        await page.SignInAsync(console, "adam");
        foreach (var name in MenuPages)
        {
            await page.OpenFromMenuAsync(name);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
        }

        await RotationScenarioTests.OpenKeyAsync(page, "alias/FirstCMK");

        // A full reload opens a new circuit over the WebSocket that connect-src allows.
        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));

        Assert.Empty(chromium.CspViolations);
    }

    [SkippableFact]
    public async Task A_script_injected_into_a_page_is_blocked()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();
        var page = await chromium.NewWindowAsync();
        await page.SignInAsync(console, "audrey");

        // What an injected <script> (a stored XSS) would try: an inline script without the response's nonce.
        await page.EvaluateAsync("""
            () => {
                const script = document.createElement('script');
                script.textContent = 'window.injectedScriptRan = true;';
                document.body.appendChild(script);
            }
            """);

        Assert.False(await page.EvaluateAsync<bool>("() => window.injectedScriptRan === true"));
        var violation = Assert.Single(chromium.TakeCspViolations());
        Assert.Contains("script-src", violation);
    }
}
