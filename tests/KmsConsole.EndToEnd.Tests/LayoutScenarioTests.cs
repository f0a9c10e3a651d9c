using System.Text.Json;
using System.Text.RegularExpressions;
using KmsConsole.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// How the pages look at a desktop width (1440 × 900) and on a phone (390 × 844): nothing cut off or scrolling
/// sideways, the approver reading the old key's fate in words, and focus shown to keyboard users only.
/// </summary>
public sealed partial class LayoutScenarioTests(ITestOutputHelper output)
{
    private static readonly ViewportSize Desktop = new() { Width = 1440, Height = 900 };
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    [SkippableFact]
    public async Task The_key_list_fits_a_desktop_and_a_phone_and_a_run_page_stays_short_on_a_phone()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
        await rita.SignInAsync(console, "rita");
        await OpenKeyListAsync(rita);
        await rita.ScreenshotAsync("20-keys-1440");

        var table = await MeasureAsync(rita, """
            () => {
              const container = document.querySelector("[data-testid='keys-table'] .mud-table-container");
              const headers = [...document.querySelectorAll("[data-testid='keys-table'] thead th")];
              return { scrollWidth: container.scrollWidth, clientWidth: container.clientWidth,
                       lastHeaderRight: headers[headers.length - 1].getBoundingClientRect().right, viewport: window.innerWidth };
            }
            """);
        output.WriteLine($"Key table at 1440 px: {table}");
        Assert.True(table.GetProperty("scrollWidth").GetDouble() <= table.GetProperty("clientWidth").GetDouble(),
            $"The key table scrolls sideways at 1440 px: {table}");
        Assert.True(table.GetProperty("lastHeaderRight").GetDouble() <= table.GetProperty("viewport").GetDouble(),
            $"The key table's last column is cut off at 1440 px: {table}");
        var aliases = rita.Locator("[data-testid='keys-table'] thead th").Filter(new() { HasText = "Aliases" });
        await Assertions.Expect(aliases).ToHaveAttributeAsync("aria-sort", "ascending");
        output.WriteLine($"Aliases header: {await aliases.InnerHTMLAsync()}");
        await Assertions.Expect(aliases.Locator("svg.mud-table-sort-label-icon")).ToBeVisibleAsync();

        await rita.SetViewportSizeAsync(Phone.Width, Phone.Height);
        await rita.ReloadAsync();
        await rita.WaitForInteractiveAsync();
        await Assertions.Expect(rita.Locator("[data-testid='keys-table'] tbody tr").Filter(new() { HasText = "alias/FirstCMK" })).ToHaveCountAsync(1);
        await rita.ScreenshotAsync("21-keys-390");
        await ExpectNoSidewaysScrollAsync(rita, "the key list");
        await ExpectTopBarFitsAsync(rita);
        var keyId = rita.Locator("[data-testid='key-link']").First;
        var keyIdBox = await keyId.BoundingBoxAsync();
        Assert.NotNull(keyIdBox);
        Assert.True(keyIdBox.X >= 0 && keyIdBox.X + keyIdBox.Width <= Phone.Width, $"A key id runs past the phone's edge: {JsonSerializer.Serialize(keyIdBox)}");
        // On a phone the table stacks its cells and sorts through one control, which must say what it does.
        var sortControl = rita.GetByLabel("Sort keys by");
        await Assertions.Expect(sortControl).ToBeVisibleAsync();

        await rita.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
        await RotationScenarioTests.OpenKeyAsync(rita, "alias/FirstCMK");
        await RotationScenarioTests.RequestAsync(rita, "Enable automatic rotation", fill: _ => Task.CompletedTask);
        var runUrl = rita.Url;
        await RotationScenarioTests.ApproveAsAliceAsync(chromium, console, runUrl);
        await Assertions.Expect(rita.GetByTestId("run-state")).ToHaveAttributeAsync("data-run-state", "Succeeded", new() { Timeout = 90_000 });

        // Opened on the phone, as the key list above: right after a resize the responsive drawer may not have closed yet.
        await rita.SetViewportSizeAsync(Phone.Width, Phone.Height);
        await rita.ReloadAsync();
        await rita.WaitForInteractiveAsync();
        await Assertions.Expect(rita.GetByTestId("aws-request-id").First).ToBeVisibleAsync();
        await rita.ScreenshotAsync("22-run-390");
        await ExpectNoSidewaysScrollAsync(rita, "the run page");
        var height = await rita.EvaluateAsync<double>("() => document.documentElement.scrollHeight");
        output.WriteLine($"Run page of a finished W1 run at 390 px: {height} px high");
        Assert.True(height < 3000, $"The run page of an automatic-rotation run is {height} px high on a phone.");
    }

    [SkippableFact]
    public async Task The_approver_reads_a_scheduled_deletion_in_words_on_a_desktop_and_a_phone()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        await RotationScenarioTests.OpenKeyAsync(rita, "alias/FirstCMK");
        await RotationScenarioTests.RequestAsync(rita, "New key, alias swap", fill: async p =>
        {
            await p.GetByTestId("old-key-fate").ClickAsync();
            await p.GetByText("Schedule its deletion (ScheduleKeyDeletion)", new() { Exact = true }).ClickAsync();
            await p.GetByLabel("Waiting period before deletion (days)").FillAsync("7");
        });
        var runUrl = rita.Url;

        var alice = await chromium.NewWindowAsync();
        await alice.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
        await alice.SignInAsync(console, "alice");
        await alice.OpenFromMenuAsync("Approvals");
        var waiting = alice.GetByTestId("run-row");
        await Assertions.Expect(waiting).ToHaveCountAsync(1);
        await ExpectFateInWordsAsync(waiting.GetByTestId("approval-parameters"));

        await waiting.GetByRole(AriaRole.Link).ClickAsync();
        await alice.WaitForURLAsync(runUrl);
        await alice.WaitForInteractiveAsync();
        await ExpectFateInWordsAsync(alice.GetByTestId("parameters"));
        await alice.ScreenshotAsync("23-approver-w2-schedule-deletion-1440");

        await alice.SetViewportSizeAsync(Phone.Width, Phone.Height);
        await ExpectFateInWordsAsync(alice.GetByTestId("parameters"));
        await alice.ScreenshotAsync("24-approver-w2-390");
        await ExpectNoSidewaysScrollAsync(alice, "the approver's run page");
        await ExpectTopBarFitsAsync(alice);

        // On a phone, who is signed in and Sign out are in the user menu.
        await alice.GetByRole(AriaRole.Button, new() { NameRegex = UserMenuName() }).ClickAsync();
        await Assertions.Expect(alice.GetByTestId("user-menu-name")).ToContainTextAsync("Alice Approver");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await alice.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Focus_shows_a_ring_for_the_keyboard_only_and_the_skip_link_leads_to_the_content()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var rita = await chromium.NewWindowAsync();
        await rita.SetViewportSizeAsync(Desktop.Width, Desktop.Height);
        await rita.SignInAsync(console, "rita");

        // A click on a link of the menu: Blazor focuses the new page's heading for screen readers, with no ring.
        await rita.OpenFromMenuAsync("Keys");
        await Assertions.Expect(rita.GetByRole(AriaRole.Heading, new() { Name = "Keys", Level = 1 })).ToBeVisibleAsync();
        await rita.WaitForFunctionAsync("() => document.activeElement && document.activeElement.tagName === 'H1'");
        var heading = await FocusedAsync(rita);
        output.WriteLine($"Focused after a click: {heading}");
        Assert.False(ShowsRing(heading), $"The heading focused after navigation shows a focus ring: {heading}");

        // From the keyboard: the first stop of the document is the skip link, shown with a ring, and it leads into the
        // content. (Tab from a stand-in for the address bar: after a load, Blazor has put focus on the heading.)
        await rita.GotoAsync(new Uri(console.BaseAddress, "keys").ToString());
        await rita.WaitForInteractiveAsync();
        await rita.WaitForFunctionAsync("() => document.activeElement && document.activeElement.tagName === 'H1'");
        await rita.EvaluateAsync("""
            () => {
              const start = document.createElement('button');
              start.id = 'kc-test-start';
              document.body.prepend(start);
              start.focus();
            }
            """);
        await rita.Keyboard.PressAsync("Tab");
        await rita.EvaluateAsync("() => document.getElementById('kc-test-start').remove()");
        var skip = await FocusedAsync(rita);
        output.WriteLine($"First Tab stop: {skip}");
        Assert.Equal("Skip to content", skip.GetProperty("text").GetString());
        Assert.True(ShowsRing(skip), $"The skip link shows no focus ring: {skip}");
        await Assertions.Expect(rita.Locator("a.kc-skip-link")).ToBeFocusedAsync();
        await Assertions.Expect(rita.Locator("a.kc-skip-link")).ToBeInViewportAsync();

        // On from there, past the top bar, to the first link of the menu: it too shows a ring.
        JsonElement focused = default;
        for (var i = 0; i < 10; i++)
        {
            await rita.Keyboard.PressAsync("Tab");
            focused = await FocusedAsync(rita);
            if (focused.GetProperty("inNav").GetBoolean() && focused.GetProperty("tag").GetString() == "A")
            {
                break;
            }
        }

        output.WriteLine($"Menu link reached by Tab: {focused}");
        Assert.True(focused.GetProperty("inNav").GetBoolean(), $"Tab never reached a link of the menu: {focused}");
        Assert.True(ShowsRing(focused), $"A menu link focused from the keyboard shows no focus ring: {focused}");

        await rita.Keyboard.PressAsync("Shift+Tab");
        for (var i = 0; i < 10 && (await FocusedAsync(rita)).GetProperty("text").GetString() != "Skip to content"; i++)
        {
            await rita.Keyboard.PressAsync("Shift+Tab");
        }

        await rita.Keyboard.PressAsync("Enter");
        await rita.WaitForFunctionAsync("() => document.activeElement && document.activeElement.id === 'main'");
        Assert.EndsWith("/keys", rita.Url.Split('#')[0], StringComparison.Ordinal);
        var main = await FocusedAsync(rita);
        Assert.False(ShowsRing(main), $"The main content shows a ring when the skip link put focus there: {main}");
        await rita.Keyboard.PressAsync("Tab");
        var firstInContent = await FocusedAsync(rita);
        output.WriteLine($"First Tab stop in the content: {firstInContent}");
        Assert.Equal("REFRESH INVENTORY", firstInContent.GetProperty("text").GetString()?.ToUpperInvariant());
    }

    private static async Task OpenKeyListAsync(IPage page)
    {
        await page.OpenFromMenuAsync("Keys");
        await Assertions.Expect(page.Locator("[data-testid='keys-table'] tbody tr").Filter(new() { HasText = "alias/FirstCMK" })).ToHaveCountAsync(1);
    }

    private static async Task ExpectFateInWordsAsync(ILocator parameters)
    {
        await Assertions.Expect(parameters.GetByTestId("parameter-old-key-fate")).ToContainTextAsync(FateInWords());
        await Assertions.Expect(parameters).Not.ToContainTextAsync("Wrapping algorithm");
        await Assertions.Expect(parameters).Not.ToContainTextAsync("RSAES_OAEP");
    }

    private async Task ExpectNoSidewaysScrollAsync(IPage page, string what)
    {
        var widths = await MeasureAsync(page, "() => ({ scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth })");
        output.WriteLine($"{what}: {widths}");
        Assert.True(widths.GetProperty("scrollWidth").GetDouble() <= widths.GetProperty("viewport").GetDouble(), $"{what} scrolls sideways: {widths}");
    }

    private async Task ExpectTopBarFitsAsync(IPage page)
    {
        var bar = await MeasureAsync(page, """
            () => {
              const bar = document.querySelector('.mud-appbar');
              const user = document.querySelector("[data-testid='user-menu'] button, button[data-testid='user-menu']");
              const box = user && user.getBoundingClientRect();
              return { barScroll: bar.scrollWidth, barWidth: bar.clientWidth, viewport: window.innerWidth,
                       user: box ? { left: box.left, right: box.right, width: box.width } : null };
            }
            """);
        output.WriteLine($"Top bar: {bar}");
        Assert.True(bar.GetProperty("barScroll").GetDouble() <= bar.GetProperty("barWidth").GetDouble(), $"The top bar overflows: {bar}");
        var user = bar.GetProperty("user");
        Assert.True(user.ValueKind == JsonValueKind.Object, "The top bar has no user menu button.");
        Assert.True(user.GetProperty("width").GetDouble() > 0 && user.GetProperty("left").GetDouble() >= 0
            && user.GetProperty("right").GetDouble() <= bar.GetProperty("viewport").GetDouble(), $"The user menu button is not within the viewport: {bar}");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = UserMenuName() })).ToBeVisibleAsync();
    }

    private static Task<JsonElement> MeasureAsync(IPage page, string script) => page.EvaluateAsync<JsonElement>(script);

    /// <summary>The focused element and how it is drawn: outline and box shadow as computed.</summary>
    private static Task<JsonElement> FocusedAsync(IPage page) => MeasureAsync(page, """
        () => {
          const e = document.activeElement;
          const s = getComputedStyle(e);
          return { tag: e.tagName, id: e.id, text: (e.innerText || '').trim().slice(0, 60), inNav: !!e.closest("nav[aria-label='Main']"),
                   outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, boxShadow: s.boxShadow };
        }
        """);

    private static bool ShowsRing(JsonElement focused) =>
        (focused.GetProperty("outlineStyle").GetString() != "none" && focused.GetProperty("outlineWidth").GetString() != "0px")
        || focused.GetProperty("boxShadow").GetString() is { } shadow && shadow != "none";

    [GeneratedRegex(@"(?i)(schedul\w* .*deletion|deletion .*schedul\w*).*\b7 days\b")]
    private static partial Regex FateInWords();

    [GeneratedRegex("^User menu")]
    private static partial Regex UserMenuName();
}
