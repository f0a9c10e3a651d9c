using System.Net;
using Microsoft.Extensions.Configuration;

namespace KmsConsole.LocalKms.Hosting;

/// <summary>
/// The standalone program's settings: ordinary ASP.NET Core configuration (appsettings.json next to the program,
/// environment variables such as LocalKms__Quotas__Enabled=true, command-line keys such as
/// --LocalKms:Faults:ThrottlingShare=0.3), bound to <see cref="LocalKmsOptions"/> exactly as a host such as the console
/// binds its "LocalKms" section; the short switches of earlier versions (--data, --no-seed, ...) map onto those keys.
/// It listens on loopback only unless started with --allow-remote.
/// </summary>
public sealed record StandaloneHost(LocalKmsOptions Options, string Url, bool AllowRemote)
{
    public const string DefaultUrl = "http://127.0.0.1:4599";

    public const string Help = """
        Local KMS endpoint (AWS KMS JSON 1.1 protocol, real cryptography, persistent state).

        Usage: KmsConsole.LocalKms [options]

          --urls <url>                 Where to listen (default http://127.0.0.1:4599); loopback only unless --allow-remote.
          --allow-remote               Listen on a non-loopback address. Anyone who can reach it and knows a registered
                                       credential may call it; with LocalKms:Authentication:AnyCredentials=true, anyone at all.
          --data <dir>                 = --LocalKms:DataDirectory=<dir> (default ./data)
          --no-seed                    = --LocalKms:Seed=false (no workshop keys on a fresh data folder)
          --enforce-iam                = --LocalKms:Iam:EnforceKmsPermissions=true
          --region <region>            = --LocalKms:Region=<region> (the home Region, default us-east-1)
          --account <id>               = --LocalKms:AccountId=<id> (default 111122223333)
          --help, -h                   Print this help and exit.

        Every LocalKms:* setting, as --Key=value, environment variable (LocalKms__Key) or appsettings.json:
          LocalKms:DataDirectory, LocalKms:Seed, LocalKms:Region, LocalKms:AccountId
          LocalKms:MaxRequestBodyBytes (default 1048576), LocalKms:RequestBodyTimeout (default 00:00:30)
          LocalKms:ClockOffset (e.g. 30.00:00:00), LocalKms:SweepInterval
          LocalKms:Faults:ThrottlingShare, :InternalErrorShare, :DelayShare (0..1), LocalKms:Faults:Delay (e.g. 00:00:00.200)
          LocalKms:Quotas:Enabled, LocalKms:Quotas:RequestsPerSecond:<operation or shared quota>
          LocalKms:Iam:EnforceKmsPermissions, LocalKms:Iam:Seed
          LocalKms:Authentication:AnyCredentials (default false: every request must carry a valid SigV4 signature)
          LocalKms:Authentication:Credentials:<access key id>=<secret> (AKIDLOCAL=local-secret is registered)
          LocalKms:Authentication:CallerSecrets:<n>=<secret> (secrets for callers known only by name)
        """;

    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--data"] = "LocalKms:DataDirectory",
        ["--region"] = "LocalKms:Region",
        ["--account"] = "LocalKms:AccountId",
        ["--urls"] = "urls",
    };

    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["--no-seed"] = "LocalKms:Seed=false",
        ["--enforce-iam"] = "LocalKms:Iam:EnforceKmsPermissions=true",
    };

    /// <summary>Reads the settings; throws <see cref="ArgumentException"/> naming the argument or setting at fault.</summary>
    public static StandaloneHost Read(string[] args, string contentRoot)
    {
        var allowRemote = false;
        var commandLine = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--allow-remote")
            {
                allowRemote = true;
            }
            else if (Flags.TryGetValue(args[i], out var flag))
            {
                commandLine.Add("--" + flag);
            }
            else if (Switches.TryGetValue(args[i], out var key))
            {
                commandLine.Add($"--{key}={(i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value."))}");
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Length > 2)
            {
                commandLine.Add(args[i]);
                if (!args[i].Contains('=', StringComparison.Ordinal) && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    commandLine.Add(args[++i]);
                }
            }
            else
            {
                throw new ArgumentException($"Unknown argument '{args[i]}'. Run with --help for the options.");
            }
        }

        var configuration = new ConfigurationBuilder()
            .SetBasePath(contentRoot)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. commandLine])
            .Build();
        var options = new LocalKmsOptions();
        try
        {
            configuration.GetSection(LocalKmsOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException error)
        {
            throw new ArgumentException($"A LocalKms setting has a value of the wrong type: {error.InnerException?.Message ?? error.Message}");
        }

        var url = configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? DefaultUrl;
        return new StandaloneHost(options, url, allowRemote);
    }

    /// <summary>True when every address of <paramref name="urls"/> (';'-separated) is a loopback address.</summary>
    public static bool IsLoopbackOnly(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(IsLoopback);

    private static bool IsLoopback(string url)
    {
        var host = Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            ? uri.Host.Trim('[', ']')
            : "";
        return host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }
}
