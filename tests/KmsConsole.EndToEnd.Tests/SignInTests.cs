using KmsConsole.Testing;
using System.Diagnostics;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

public sealed class SignInTests
{
    [SkippableFact]
    public async Task Signed_out_visitor_is_sent_to_sign_in_and_each_demo_user_lands_on_the_dashboard()
    {
        Chromium.SkipIfMissing();
        await using var console = await ConsoleProcess.StartAsync();
        await using var chromium = await Chromium.StartAsync();
        var page = await chromium.NewWindowAsync();

        await page.GotoAsync(console.BaseAddress.ToString());
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin"));
        foreach (var name in new[] { "Rita Requester", "Alice Approver", "Bob Approver", "Audrey Auditor", "Adam Admin" })
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Sign in as {name}" })).ToBeVisibleAsync();
        }

        await page.ScreenshotAsync("01-sign-in");

        // By keyboard: focus the button and press Enter.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in as Rita Requester" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        await page.WaitForInteractiveAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();

        // The navigation works from the keyboard too.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Keys", Exact = true }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Keys", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("signed-in-user")).ToContainTextAsync("Rita Requester");
    }

    [Fact]
    public async Task Console_with_local_sign_in_refuses_to_listen_beyond_loopback()
    {
        var dll = Repository.WebAssemblyPath();
        var workingDirectory = Directory.CreateTempSubdirectory("kmsconsole-e2e-").FullName;
        try
        {
            var startInfo = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            startInfo.ArgumentList.Add(dll);
            startInfo.ArgumentList.Add("--urls");
            startInfo.ArgumentList.Add("http://0.0.0.0:0");
            startInfo.Environment.Remove("ASPNETCORE_URLS");

            using var process = Process.Start(startInfo)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);

            // One critical line naming the setting to change, and exit code 1: no unhandled exception, no abort (134).
            var output = await stdout + await stderr;
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("Local sign-in is only allowed when the console listens on loopback", output);
            Assert.Contains("the urls setting", output);
            Assert.Single(output.Split('\n'), line => line.StartsWith("crit:", StringComparison.Ordinal));
            Assert.DoesNotContain("Unhandled exception", output);
        }
        finally
        {
            Directory.Delete(workingDirectory, recursive: true);
        }
    }
}
