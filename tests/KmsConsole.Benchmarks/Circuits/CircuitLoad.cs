using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using KmsConsole.Benchmarks.Targets;
using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.Benchmarks.Circuits;

/// <summary>
/// Many people on one console at once: N signed-in Blazor circuits (browser contexts of one headless Chromium), half on
/// the Keys page and half on the page of a run that executes meanwhile (each run change reaches them live). Each circuit
/// makes R round trips of interactions inside its circuit (Keys page: open Runs from the menu, back to Keys; run page:
/// open Keys, back to the run), each after a person's pause (--think) and timed from the click until the new page's
/// content shows. Reports p50/p95/max of the
/// interactions and the console's resident memory per circuit (RSS with the circuits open minus RSS with one, ÷ N).
/// Bounded: every wait has a timeout and the rounds are counted.
/// </summary>
public static class CircuitLoad
{
    private const string Usage = """
        circuits [--circuits N] [--rounds R] [--think S] [--markdown FILE]
          --circuits N   signed-in circuits, 1..200 (default 50)
          --rounds R     interaction round trips per circuit, 1..100 (default 10)
          --think S      a person's pause between interactions, seconds, 0..60 (default 5; each pause is drawn
                         between half and one and a half times it, so the circuits do not click in step)
        """;

    private static readonly string[] Users = ["rita", "bob", "audrey", "adam"];
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Blazor's console messages of a lost circuit connection, over every page.</summary>
    private static int _connectionLosses;

    public static async Task<int> RunAsync(string[] args)
    {
        int circuits = 50, rounds = 10;
        var think = 5.0;
        string? markdown = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--circuits" when int.TryParse(value, Inv, out var n) && n is >= 1 and <= 200:
                    circuits = n;
                    i++;
                    break;
                case "--rounds" when int.TryParse(value, Inv, out var r) && r is >= 1 and <= 100:
                    rounds = r;
                    i++;
                    break;
                case "--think" when double.TryParse(value, NumberStyles.Float, Inv, out var t) && t is >= 0 and <= 60:
                    think = t;
                    i++;
                    break;
                case "--markdown" when value is not null:
                    markdown = value;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        var chromiumPath = Environment.GetEnvironmentVariable("KMSCONSOLE_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromiumPath))
        {
            Console.Error.WriteLine($"Chromium not found at {chromiumPath} (set KMSCONSOLE_CHROMIUM).");
            return 2;
        }

        var (server, baseAddress) = await StartConsoleAsync();
        await using var console = server;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-sync"],
        });

        // Rita requests an alias swap; its run page is where half the circuits wait.
        var rita = await SignedInPageAsync(browser, baseAddress, "rita");
        var runUrl = await RequestAliasSwapAsync(rita, baseAddress);
        var rssOne = ResidentBytes(console.ProcessId);
        Console.WriteLine($"Run requested: {runUrl}; console RSS with one circuit {rssOne / 1048576.0:F0} MiB. Opening {circuits} circuits…");

        var pages = new List<(IPage Page, bool OnRun)>();
        foreach (var batch in Enumerable.Range(0, circuits).Chunk(10))
        {
            pages.AddRange(await Task.WhenAll(batch.Select(async i =>
            {
                var page = await SignedInPageAsync(browser, baseAddress, Users[i % Users.Length]);
                var onRun = i % 2 == 1;
                await page.GotoAsync(onRun ? runUrl : new Uri(baseAddress, "keys").ToString());
                await page.WaitForFunctionAsync("() => document.querySelector('[data-interactive=\"true\"]') !== null");
                await (onRun ? RunShown(page) : KeysShown(page));
                return (page, onRun);
            })));
        }

        await Task.Delay(2000);
        var rssAll = ResidentBytes(console.ProcessId);
        Console.WriteLine($"{circuits} circuits open; console RSS {rssAll / 1048576.0:F0} MiB.");
        var work = await Task.WhenAll(pages.Select(async p => (Work: await BrowserWork.AttachAsync(p.Page), p.OnRun)));
        var keysIdle = await BrowserWork.IdleShareAsync(work.Where(w => !w.OnRun).Select(w => w.Work).ToList(), IdleWindow);
        var runIdle = await BrowserWork.IdleShareAsync(work.Where(w => w.OnRun).Select(w => w.Work).ToList(), IdleWindow);

        // Alice approves on her own circuit: the run executes while the circuits interact.
        var alice = await SignedInPageAsync(browser, baseAddress, "alice");
        await alice.GotoAsync(runUrl);
        await alice.WaitForFunctionAsync("() => document.querySelector('[data-interactive=\"true\"]') !== null");
        await alice.GetByLabel("Comment").FillAsync("Load test");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        var approvedAt = Stopwatch.StartNew();
        var runningIdle = await BrowserWork.IdleShareAsync(work.Where(w => w.OnRun).Select(w => w.Work).ToList(), IdleWindow);
        var idle = $"Renderer CPU of a page nobody touches, in share of one core: a Keys page {keysIdle:P1}, a run page {runIdle:P1} before approval and {runningIdle:P1} while its run executes.";
        Console.WriteLine(idle);
        var browserCpuBefore = await BrowserWork.TotalCpuSecondsAsync(work.Select(w => w.Work));
        var consoleCpuBefore = ProcessCpu.Seconds(console.ProcessId) ?? 0;

        using var metricsClient = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var serverBefore = ServerHistograms.Parse(await metricsClient.GetStringAsync("metrics"));
        var times = new System.Collections.Concurrent.ConcurrentBag<(string Kind, double Ms)>();
        var failures = 0;
        Task PauseAsync() => think == 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromSeconds(think * (0.5 + Random.Shared.NextDouble())));
        await Task.WhenAll(pages.Select(async circuit =>
        {
            for (var round = 0; round < rounds; round++)
            {
                try
                {
                    await PauseAsync();
                    if (circuit.OnRun)
                    {
                        times.Add(("run page → Keys (menu)", await TimeAsync(() => Menu(circuit.Page, "Keys").ClickAsync(), () => KeysShown(circuit.Page))));
                        await PauseAsync();
                        times.Add(("Keys → run page (browser back)", await TimeAsync(() => circuit.Page.GoBackAsync(), () => RunShown(circuit.Page))));
                    }
                    else
                    {
                        times.Add(("Keys → Runs (menu)", await TimeAsync(() => Menu(circuit.Page, "Runs").ClickAsync(), () => circuit.Page.GetByTestId("runs-table").WaitForAsync())));
                        await PauseAsync();
                        times.Add(("Runs → Keys (menu)", await TimeAsync(() => Menu(circuit.Page, "Keys").ClickAsync(), () => KeysShown(circuit.Page))));
                    }
                }
                catch (Exception e) when (e is TimeoutException or PlaywrightException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        var measuredFor = approvedAt.Elapsed;
        var browserCpu = await BrowserWork.TotalCpuSecondsAsync(work.Select(w => w.Work)) - browserCpuBefore;
        var consoleCpu = (ProcessCpu.Seconds(console.ProcessId) ?? 0) - consoleCpuBefore;

        await rita.WaitForFunctionAsync("() => document.querySelector('[data-testid=\"run-state\"]')?.getAttribute('data-run-state') === 'Succeeded'",
            null, new() { Timeout = 120_000 });
        var runTook = approvedAt.Elapsed;
        var sorted = times.Select(t => t.Ms).Order().ToArray();
        var report = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"| circuits | pause between interactions | interactions | failed | p50 ms | p95 ms | max ms | RSS 1 circuit | RSS {circuits} circuits | per circuit | run approved → Succeeded |")
            .AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            .AppendLine(CultureInfo.InvariantCulture,
                $"| {circuits} | {think:0.#} s (±50 %) | {sorted.Length} | {failures} | {Percentile(sorted, 0.50):F0} | {Percentile(sorted, 0.95):F0} | {sorted.LastOrDefault():F0} | {rssOne / 1048576.0:F0} MiB | {rssAll / 1048576.0:F0} MiB | {(rssAll - rssOne) / 1024.0 / Math.Max(1, circuits - 1):F0} KiB | {runTook.TotalSeconds:F1} s (interactions took {measuredFor.TotalSeconds:F1} s) |")
            .ToString();
        var byKind = new StringBuilder().AppendLine().AppendLine("| interaction | count | p50 ms | p95 ms | max ms |").AppendLine("|---|---:|---:|---:|---:|");
        foreach (var kind in times.GroupBy(t => t.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ms = kind.Select(t => t.Ms).Order().ToArray();
            byKind.AppendLine(CultureInfo.InvariantCulture, $"| {kind.Key} | {ms.Length} | {Percentile(ms, 0.50):F0} | {Percentile(ms, 0.95):F0} | {ms[^1]:F0} |");
        }

        var scraped = await metricsClient.GetStringAsync("metrics");
        var serverAfter = ServerHistograms.Parse(scraped);
        var kept = Path.Combine(Path.GetTempPath(), "kmsconsole-circuits-metrics.txt");
        await File.WriteAllTextAsync(kept, scraped);
        Console.WriteLine($"The console's metrics at the end are in {kept}.");
        var interactions = Math.Max(1, sorted.Length);
        var cpu = $"CPU while the circuits interacted ({measuredFor.TotalSeconds:F0} s, {Environment.ProcessorCount} cores): the pages' renderers {browserCpu:F1} s "
            + $"({browserCpu * 1000 / interactions:F0} ms per interaction, live updates included), the console {consoleCpu:F1} s ({consoleCpu * 1000 / interactions:F0} ms per interaction).";
        report += byKind.ToString() + $"\n{idle}\n\n{cpu}\n\nCircuit connection losses logged by the pages: {_connectionLosses}\n\n" + ServerHistograms.Report(serverBefore, serverAfter);
        Console.WriteLine(report);
        if (markdown is not null)
        {
            await File.WriteAllTextAsync(markdown, report);
        }

        return failures == 0 ? 0 : 1;
    }

    private static ILocator Menu(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    private static Task KeysShown(IPage page) =>
        page.Locator("[data-testid='keys-table'] tbody tr").Filter(new() { HasText = "alias/" }).First.WaitForAsync();

    private static Task RunShown(IPage page) => page.GetByTestId("run-state").WaitForAsync();

    private static async Task<double> TimeAsync(Func<Task> act, Func<Task> shown)
    {
        var clock = Stopwatch.StartNew();
        await act();
        await shown();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(10);

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], Inv) * 1024;
    }

    private static async Task<IPage> SignedInPageAsync(IBrowser browser, Uri console, string user)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("disconnected", StringComparison.OrdinalIgnoreCase) || message.Text.Contains("reconnect", StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref _connectionLosses);
                Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {user}: {message.Text}");
            }
        };
        await page.GotoAsync(new Uri(console, "signin").ToString());
        await page.Locator($"[data-testid='signin-{user}']").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        return page;
    }

    private static async Task<string> RequestAliasSwapAsync(IPage page, Uri console)
    {
        await page.GotoAsync(new Uri(console, "keys").ToString());
        await page.WaitForFunctionAsync("() => document.querySelector('[data-interactive=\"true\"]') !== null");
        var row = page.Locator("[data-testid='keys-table'] tbody tr").Filter(new() { HasText = "alias/FirstCMK" });
        await row.GetByTestId("key-link").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Request rotation" }).ClickAsync();
        await page.GetByText("New key, alias swap", new() { Exact = true }).ClickAsync();
        await page.GetByLabel("Justification").FillAsync("Load test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview plan" }).ClickAsync();
        await page.GetByTestId("plan").Locator("li").First.WaitForAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit request" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/runs/", StringComparison.Ordinal));
        await RunShown(page);
        return page.Url;
    }

    private static async Task<(ChildServer Server, Uri BaseAddress)> StartConsoleAsync()
    {
        var workingDirectory = Directory.CreateTempSubdirectory("kmsconsole-circuits-").FullName;
        var ports = LoopbackPorts.Free(2);
        var baseAddress = new Uri($"http://127.0.0.1:{ports[0]}/");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            ArgumentList = { Repository.WebAssemblyPath(), "--urls", $"http://127.0.0.1:{ports[0]}", $"--Console:LocalKmsUrl=http://127.0.0.1:{ports[1]}",
                "--Telemetry:Prometheus=true" },
        };
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var server = ChildServer.Start("the console", start);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
        await server.WaitUntilAnsweringAsync(async ct =>
        {
            using var response = await http.GetAsync(new Uri(baseAddress, "signin"), ct);
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(120));
        return (server, baseAddress);
    }
}
