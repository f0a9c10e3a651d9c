namespace KmsConsole.Testing;

/// <summary>Paths in the repository checkout these tests run from.</summary>
public static class Repository
{
    public static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "KmsConsole.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException($"No KmsConsole.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The web console's own build output (the project reference builds it before these tests).</summary>
    public static string WebAssemblyPath()
    {
        // Same configuration as this test assembly: .../bin/<Configuration>/<tfm>/
        var tfmDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfmDirectory.Parent?.Name ?? "Debug";
        var path = Path.Combine(Root(), "src", "KmsConsole.Web", "bin", configuration, tfmDirectory.Name, "KmsConsole.Web.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the web console first (dotnet build).", path);
    }

    public static string ScreenshotDirectory()
    {
        var directory = Path.Combine(Root(), "TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        return directory;
    }
}
