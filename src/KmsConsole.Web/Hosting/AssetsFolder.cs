namespace KmsConsole.Web.Hosting;

/// <summary>
/// Finds the top-level <c>wwwroot-assets</c> folder (styles, logo, favicon): under the content root
/// (dotnet run from the repository root, the Docker image), in a parent of it (dotnet run from the
/// project folder), or the copy the build places next to the assembly.
/// </summary>
public static class AssetsFolder
{
    public const string FolderName = "wwwroot-assets";
    public const string RequestPath = "/assets";

    public static string Locate(string contentRoot)
    {
        var directory = new DirectoryInfo(contentRoot);
        for (var depth = 0; directory is not null && depth < 4; depth++, directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, FolderName);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        var besideAssembly = Path.Combine(AppContext.BaseDirectory, FolderName);
        if (Directory.Exists(besideAssembly))
        {
            return besideAssembly;
        }

        throw new DirectoryNotFoundException(
            $"The static assets folder '{FolderName}' was found neither under '{contentRoot}' nor next to the application in '{AppContext.BaseDirectory}'.");
    }
}
