using Microsoft.Playwright;

namespace KmsConsole.Testing;

public static class BlazorPage
{
    /// <summary>
    /// Waits until Blazor's circuit is connected. A prerendered page looks complete before that,
    /// but a click on it does nothing.
    /// </summary>
    public static Task WaitForInteractiveAsync(this IPage page) =>
        page.WaitForFunctionAsync("() => document.querySelector('[data-interactive=\"true\"]') !== null");
}
