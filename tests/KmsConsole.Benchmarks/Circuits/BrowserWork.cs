using Microsoft.Playwright;

namespace KmsConsole.Benchmarks.Circuits;

/// <summary>
/// The CPU time a page's renderer process spends (Chrome DevTools' Performance.getMetrics ProcessTime: script, style,
/// layout, paint and garbage collection together), so the browsers' share of the machine is measured apart from the
/// console's: while nobody interacts (a page that keeps the browser busy on its own shows here) and per interaction.
/// </summary>
internal sealed class BrowserWork
{
    private readonly ICDPSession _session;

    private BrowserWork(ICDPSession session) => _session = session;

    public static async Task<BrowserWork> AttachAsync(IPage page)
    {
        var session = await page.Context.NewCDPSessionAsync(page);
        await session.SendAsync("Performance.enable");
        return new BrowserWork(session);
    }

    /// <summary>CPU seconds of the page's renderer process since it started.</summary>
    public async Task<double> CpuSecondsAsync()
    {
        var result = await _session.SendAsync("Performance.getMetrics");
        foreach (var metric in result!.Value.GetProperty("metrics").EnumerateArray())
        {
            if (metric.GetProperty("name").GetString() == "ProcessTime")
            {
                return metric.GetProperty("value").GetDouble();
            }
        }

        throw new InvalidOperationException("Chromium reported no ProcessTime.");
    }

    /// <summary>CPU seconds of all the pages' renderers together.</summary>
    public static async Task<double> TotalCpuSecondsAsync(IEnumerable<BrowserWork> pages) =>
        (await Task.WhenAll(pages.Select(p => p.CpuSecondsAsync()))).Sum();

    /// <summary>The mean share of one core each page's renderer took over the window.</summary>
    public static async Task<double> IdleShareAsync(IReadOnlyList<BrowserWork> pages, TimeSpan window)
    {
        if (pages.Count == 0)
        {
            return 0;
        }

        var before = await TotalCpuSecondsAsync(pages);
        await Task.Delay(window);
        return (await TotalCpuSecondsAsync(pages) - before) / pages.Count / window.TotalSeconds;
    }
}
