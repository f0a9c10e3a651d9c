using Microsoft.Playwright;
using Xunit;

namespace KmsConsole.Testing;

/// <summary>
/// Debian's Chromium driven by Playwright: the executable comes from KMSCONSOLE_CHROMIUM or
/// /usr/bin/chromium (Playwright's own browser download is never used), one fresh profile per user.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright playwright;
    private readonly List<(IBrowserContext Context, string Profile)> contexts = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> cspViolations = new();

    private Chromium(IPlaywright playwright) => this.playwright = playwright;

    public static string? ExecutablePath
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("KMSCONSOLE_CHROMIUM");
            var path = string.IsNullOrWhiteSpace(configured) ? "/usr/bin/chromium" : configured;
            return File.Exists(path) ? path : null;
        }
    }

    /// <summary>Skips the calling test, with the reason, where no Chromium is installed.</summary>
    public static void SkipIfMissing() =>
        Skip.If(ExecutablePath is null, "Chromium is not installed (set KMSCONSOLE_CHROMIUM or install Debian's chromium at /usr/bin/chromium).");

    public static async Task<Chromium> StartAsync()
    {
        // Pages wait on a live server and an orchestrator; a busy CI machine needs more than the default 5 s.
        Assertions.SetDefaultExpectTimeout(30_000);
        return new(await Playwright.CreateAsync());
    }

    /// <summary>A browser window with a fresh profile of its own, as a separate person would have.</summary>
    /// <param name="acceptSelfSignedCertificates">For a console served over https with a certificate made by the test.</param>
    public async Task<IPage> NewWindowAsync(bool acceptSelfSignedCertificates = false)
    {
        var profile = Directory.CreateTempSubdirectory("kmsconsole-chromium-").FullName;
        var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            IgnoreHTTPSErrors = acceptSelfSignedCertificates,
        });
        context.SetDefaultTimeout(30_000);
        // Chromium reports every resource or inline script the console's Content-Security-Policy blocked on the console.
        context.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                cspViolations.Enqueue($"{message.Location}: {message.Text}");
            }
        };
        contexts.Add((context, profile));
        return context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
    }

    /// <summary>What the Content-Security-Policy blocked so far, in every window.</summary>
    public IReadOnlyList<string> CspViolations => [.. cspViolations];

    /// <summary>Returns and forgets the violations so far: for a test that provokes one on purpose.</summary>
    public IReadOnlyList<string> TakeCspViolations()
    {
        var taken = new List<string>();
        while (cspViolations.TryDequeue(out var violation))
        {
            taken.Add(violation);
        }

        return taken;
    }

    /// <summary>Closes every window; fails the test that used them if the Content-Security-Policy blocked anything.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (context, profile) in contexts)
        {
            await context.CloseAsync();
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium may still be flushing its profile.
            }
        }

        playwright.Dispose();
        if (!cspViolations.IsEmpty)
        {
            throw new InvalidOperationException("The Content-Security-Policy blocked something the console's pages use:\n" + string.Join('\n', cspViolations));
        }
    }
}
