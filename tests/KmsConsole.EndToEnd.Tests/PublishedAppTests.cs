using System.Diagnostics;
using KmsConsole.Testing;
using Microsoft.Playwright;

namespace KmsConsole.EndToEnd.Tests;

/// <summary>The console as an operator installs it: published to a folder of its own and started from another.</summary>
public sealed class PublishedAppTests
{
    [SkippableFact]
    public async Task The_published_app_started_from_another_folder_serves_its_framework_and_mudblazor_assets_and_becomes_interactive()
    {
        var folder = Directory.CreateTempSubdirectory("kmsconsole-published-").FullName;
        try
        {
            var published = await PublishAsync(Path.Combine(folder, "app"));
            await using var console = await ConsoleProcess.StartAsync(published, []);
            Assert.NotEqual(Path.GetDirectoryName(published), console.WorkingDirectory);
            using var http = new HttpClient { BaseAddress = console.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

            foreach (var asset in new[] { "_framework/blazor.web.js", "_content/MudBlazor/MudBlazor.min.js", "_content/MudBlazor/MudBlazor.min.css" })
            {
                using var response = await http.GetAsync(asset);
                Assert.True(response.IsSuccessStatusCode, $"{asset}: {(int)response.StatusCode}");
                Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 1000, $"{asset} is empty or truncated");
            }

            // The data the console writes lands in the folder it was started from, not beside the published files.
            Assert.True(File.Exists(Path.Combine(console.WorkingDirectory, "data", "kmsconsole.db")));
            Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(published)!, "data")));

            Chromium.SkipIfMissing();
            await using var chromium = await Chromium.StartAsync();
            var page = await chromium.NewWindowAsync();
            await page.SignInAsync(console, "alice");
            await page.OpenFromMenuAsync("Keys");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Keys", Level = 1 })).ToBeVisibleAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Publishes the web console's build output (already built as this project's reference) into <paramref name="output"/>.</summary>
    private static async Task<string> PublishAsync(string output)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent?.Name ?? "Debug";
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { "publish", Path.Combine(Repository.Root(), "src", "KmsConsole.Web", "KmsConsole.Web.csproj"), "--no-build", "-c", configuration, "-o", output, "-nologo" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var log = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(bound.Token);
        Assert.True(process.ExitCode == 0, $"dotnet publish failed: {await log}{await errors}");
        return Path.Combine(output, "KmsConsole.Web.dll");
    }
}
