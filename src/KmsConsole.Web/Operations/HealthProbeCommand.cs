namespace KmsConsole.Web.Operations;

/// <summary>
/// <c>dotnet KmsConsole.Web.dll health-probe [url]</c>: asks a running console's <c>/health/live</c> (by default on the
/// first address of ASPNETCORE_URLS, or 127.0.0.1:8080) and exits 0 when it answers 200, 1 otherwise. The container's
/// HEALTHCHECK runs it, since the runtime image has no curl or wget.
/// </summary>
public static class HealthProbeCommand
{
    public const string Name = "health-probe";

    public static bool Matches(string[] args) => args is [Name, ..];

    public static int Run(string[] args, TextWriter output)
    {
        var target = args.Length > 1 ? new Uri(args[1]) : new Uri(LocalAddress(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")), ConsoleHealth.LivePath);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
        try
        {
            using var response = http.GetAsync(target).GetAwaiter().GetResult();
            output.WriteLine($"{target}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            output.WriteLine($"{target}: no answer ({e.GetType().Name})");
            return 1;
        }
    }

    /// <summary>The first listening address, with a wildcard host (0.0.0.0, +, *, [::]) asked on loopback.</summary>
    internal static Uri LocalAddress(string? urls)
    {
        var first = (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "http://127.0.0.1:8080";
        var address = new UriBuilder(first.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal));
        if (address.Host is "0.0.0.0" or "[::]" or "::")
        {
            address.Host = "127.0.0.1";
        }

        return address.Uri;
    }
}
