namespace KmsConsole.Web.Hosting;

/// <summary>
/// The console's content root is the folder of its own assembly, not the working directory: the published app's
/// wwwroot (blazor.web.js, MudBlazor's assets) and appsettings.json live there, so <c>dotnet /opt/kmsconsole/KmsConsole.Web.dll</c>
/// serves them from any folder. The working directory still holds the relative data paths (data/kmsconsole.db). An
/// explicit content root (<c>--contentRoot</c>, ASPNETCORE_CONTENTROOT or DOTNET_CONTENTROOT) wins.
/// </summary>
public static class AppContentRoot
{
    public static WebApplicationOptions Options(string[] args) => new()
    {
        Args = args,
        ContentRootPath = IsSetExplicitly(args) ? null : AppContext.BaseDirectory,
    };

    private static bool IsSetExplicitly(string[] args) =>
        args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
}
