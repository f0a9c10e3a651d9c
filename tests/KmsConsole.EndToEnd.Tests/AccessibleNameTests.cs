using System.Text.Json;
using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>
/// Every control a keyboard or screen reader user reaches has a name, on every page: read from Chromium's own
/// accessibility tree (the names assistive technology is given), not from a guess over the markup.
/// </summary>
public sealed class AccessibleNameTests
{
    private static readonly HashSet<string> ControlRoles =
    [
        "button", "link", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "switch", "slider", "spinbutton",
        "menuitem", "tab", "option",
    ];

    [SkippableFact]
    public async Task Every_control_on_every_page_has_an_accessible_name()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();

        var signIn = await chromium.NewWindowAsync();
        await signIn.GotoAsync(new Uri(console.BaseAddress, "signin").ToString());
        var unnamed = await UnnamedControlsAsync(signIn, "/signin");

        var rita = await chromium.NewWindowAsync();
        await rita.SignInAsync(console, "rita");
        await RotationScenarioTests.OpenKeyAsync(rita, "alias/FirstCMK");
        var keyDetail = new Uri(rita.Url).AbsolutePath;
        await RotationScenarioTests.RequestAsync(rita, "Enable automatic rotation", fill: _ => Task.CompletedTask);
        var runDetail = new Uri(rita.Url).AbsolutePath;

        var adam = await chromium.NewWindowAsync();
        await adam.SignInAsync(console, "adam");
        foreach (var path in new[] { "/", "/keys", keyDetail, keyDetail + "/request", "/runs", runDetail, "/approvals", "/audit", "/permissions" })
        {
            await adam.GotoAsync(new Uri(console.BaseAddress, path.TrimStart('/')).ToString());
            await adam.WaitForInteractiveAsync();
            await adam.WaitForLoadStateAsync(LoadState.NetworkIdle);
            unnamed.AddRange(await UnnamedControlsAsync(adam, path));
        }

        Assert.True(unnamed.Count == 0, "Controls without an accessible name:\n" + string.Join('\n', unnamed));
    }

    private static async Task<List<string>> UnnamedControlsAsync(IPage page, string path)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var tree = await cdp.SendAsync("Accessibility.getFullAXTree");
        await cdp.DetachAsync();
        var found = new List<string>();
        foreach (var node in tree!.Value.GetProperty("nodes").EnumerateArray())
        {
            if (node.TryGetProperty("ignored", out var ignored) && ignored.GetBoolean())
            {
                continue;
            }

            var role = node.TryGetProperty("role", out var r) && r.TryGetProperty("value", out var rv) ? rv.GetString() ?? "" : "";
            var name = node.TryGetProperty("name", out var n) && n.TryGetProperty("value", out var nv) ? nv.GetString() ?? "" : "";
            if (ControlRoles.Contains(role) && string.IsNullOrWhiteSpace(name))
            {
                found.Add($"{path}: a {role} (DOM node {(node.TryGetProperty("backendDOMNodeId", out var id) ? id.GetRawText() : "?")})");
            }
        }

        Assert.True(found.Count > 0 || CountControls(tree.Value) > 0, $"{path} has no controls at all: the page did not render.");
        return found;
    }

    private static int CountControls(JsonElement tree) =>
        tree.GetProperty("nodes").EnumerateArray().Count(n => n.TryGetProperty("role", out var r) && r.TryGetProperty("value", out var v)
            && ControlRoles.Contains(v.GetString() ?? ""));
}
