using System.Text.RegularExpressions;
using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>What a person does in the console's pages, in the words of the page.</summary>
internal static class ConsolePages
{
    public static async Task SignInAsync(this IPage page, ConsoleProcess console, string userId)
    {
        await page.GotoAsync(new Uri(console.BaseAddress, "signin").ToString());
        await page.Locator($"[data-testid='signin-{userId}']").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForInteractiveAsync();
    }

    /// <summary>Follows a link of the main navigation; a link's name may go on with a count ("Approvals 2 waiting for you").</summary>
    public static Task OpenFromMenuAsync(this IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })
            .GetByRole(AriaRole.Link, new() { NameRegex = new Regex($"^{Regex.Escape(name)}(\\s|$)") }).ClickAsync();

    public static async Task ScreenshotAsync(this IPage page, string name)
    {
        var path = Path.Combine(Repository.ScreenshotDirectory(), $"{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
    }
}
