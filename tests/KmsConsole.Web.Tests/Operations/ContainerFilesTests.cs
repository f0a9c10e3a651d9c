using System.Text.RegularExpressions;
using KmsConsole.Rotation;
using KmsConsole.Web.Hosting;
using KmsConsole.Web.Operations;
using KmsConsole.Web.SignIn;
using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace KmsConsole.Web.Tests.Operations;

/// <summary>
/// The Dockerfile and compose.yaml agree with each other and with the app (images cannot be built here): paths, ports,
/// the user, the health check, and every setting they pass is one the console reads.
/// </summary>
public sealed partial class ContainerFilesTests
{
    private static readonly string Root = FindRoot();
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));

    [Fact]
    public void The_console_image_runs_as_the_app_user_who_owns_the_data_volume_and_checks_its_own_liveness()
    {
        var console = FinalStage();

        var user = Array.FindIndex(console, l => l == "USER $APP_UID");
        Assert.True(user >= 0 && OwnedByTheAppUser(console[..user]).Contains("/data"), "the final stage must create /data, owned by $APP_UID, before switching to that user");
        Assert.Contains("VOLUME /data", console);
        Assert.Contains(console, l => l.Contains("Rotation__Database__ConnectionString=\"Data Source=/data/", StringComparison.Ordinal));
        Assert.Contains(console, l => l.Contains("LocalKms__DataDirectory=/data/", StringComparison.Ordinal));

        var port = Port(Single(console, "ENV ASPNETCORE_URLS=http://0.0.0.0:"));
        Assert.Contains($"EXPOSE {port}", console);
        var healthCheck = Single(console, "HEALTHCHECK ");
        var probe = JsonArray(healthCheck[healthCheck.IndexOf("CMD", StringComparison.Ordinal)..]);
        Assert.Equal(["dotnet", "/app/KmsConsole.Web.dll", HealthProbeCommand.Name], probe);
        Assert.True(HealthProbeCommand.Matches(probe[2..]));
        Assert.Equal(new Uri($"http://127.0.0.1:{port}{ConsoleHealth.LivePath}"),
            new Uri(HealthProbeCommand.LocalAddress($"http://0.0.0.0:{port}"), ConsoleHealth.LivePath));
        Assert.Equal(["dotnet", $"/app/{typeof(ConsoleHealth).Assembly.GetName().Name}.dll"], JsonArray(Single(console, "ENTRYPOINT ")));
        Assert.Contains(Dockerfile.Split('\n'), l => l.Contains("dotnet publish src/KmsConsole.Web/KmsConsole.Web.csproj -c Release -o /app", StringComparison.Ordinal));
        Assert.Contains("COPY --from=build /app .", console);
        Assert.Contains("WORKDIR /app", console);
    }

    [Fact]
    public void Compose_runs_two_console_instances_on_postgres_with_the_local_kms_and_passes_only_settings_the_console_reads()
    {
        var compose = Compose();
        var services = (Dictionary<object, object>)compose["services"];
        var consolePort = Port(Single(FinalStage(), "ENV ASPNETCORE_URLS=http://0.0.0.0:"));
        var kmsPort = Port(Single(Stage("localkms"), "EXPOSE "));
        var secrets = (Dictionary<object, object>)compose["secrets"];
        var instances = new List<string>();
        var dataVolumes = new List<string>();
        var keyVolumes = new List<string>();
        var mountPoints = new HashSet<string>();
        foreach (var name in new[] { "console-a", "console-b" })
        {
            var service = (Dictionary<object, object>)services[name];
            Assert.EndsWith($":{consolePort}", Assert.Single((List<object>)service["ports"]).ToString());
            var volumes = ((List<object>)service["volumes"]).Select(v => v.ToString()!.Split(':')).ToDictionary(v => v[1], v => v[0]);
            Assert.Equal(["/data", "/keys"], volumes.Keys.Order());
            mountPoints.UnionWith(volumes.Keys);
            var environment = ((Dictionary<object, object>)service["environment"]).ToDictionary(e => e.Key.ToString()!, e => Interpolate(e.Value.ToString()!));
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(environment.ToDictionary(e => e.Key.Replace("__", ":", StringComparison.Ordinal), e => (string?)e.Value)).Build();

            // Every Rotation and Console setting binds to an option the console has (a misspelt one throws here).
            var rotation = configuration.GetSection(RotationOptions.SectionName).Get<RotationOptions>(o => o.ErrorOnUnknownConfiguration = true)!;
            var consoleOptions = configuration.GetSection(ConsoleOptions.SectionName).Get<ConsoleOptions>(o => o.ErrorOnUnknownConfiguration = true)!;
            Assert.Equal(LocalKmsHosting.Never, consoleOptions.HostLocalKms);
            Assert.Equal(DatabaseOptions.Postgres, rotation.Database.Provider);
            var database = new Npgsql.NpgsqlConnectionStringBuilder(rotation.Database.ConnectionString);
            Assert.True(services.ContainsKey(database.Host!), $"database host {database.Host} is no compose service");
            var postgres = (Dictionary<object, object>)((Dictionary<object, object>)services[database.Host!])["environment"];
            Assert.Equal(postgres["POSTGRES_USER"], database.Username);
            Assert.Equal(postgres["POSTGRES_DB"], database.Database);
            var kms = new Uri(Assert.Single(rotation.Targets).ServiceUrl!);
            Assert.True(services.ContainsKey(kms.Host), $"KMS host {kms.Host} is no compose service");
            Assert.Equal(kmsPort, kms.Port);
            Assert.Equal(SignInProvider.OpenIdConnect, SignInSettings.ProviderIn(configuration));
            OpenIdConnectSignInSettings.Read(configuration.GetSection(SignInSettings.OpenIdConnectSection));
            Assert.DoesNotContain(environment.Keys, k => !k.StartsWith("Rotation__", StringComparison.Ordinal) && !k.StartsWith("Console__", StringComparison.Ordinal)
                                                         && !k.StartsWith($"{SignInSettings.OpenIdConnectSection}__", StringComparison.Ordinal));
            instances.Add(rotation.Orchestrator.InstanceId);
            dataVolumes.Add(volumes["/data"]);

            // One key ring for both, in a volume of its own, encrypted with the certificate of a compose secret.
            var dataProtection = consoleOptions.DataProtection;
            Assert.Equal("/keys", dataProtection.KeysPath);
            keyVolumes.Add(volumes[dataProtection.KeysPath!]);
            var secret = Assert.Single((List<object>)service["secrets"]).ToString()!;
            Assert.Equal($"/run/secrets/{secret}", dataProtection.CertificatePath);
            Assert.EndsWith(".pfx", ((Dictionary<object, object>)secrets[secret])["file"].ToString(), StringComparison.Ordinal);
            Assert.Matches(@"^\$\{DATAPROTECTION_CERT_PASSWORD:\?.+\}$", ((Dictionary<object, object>)service["environment"])["Console__DataProtection__CertificatePassword"].ToString());
        }

        Assert.Equal(2, instances.Distinct().Count());
        Assert.Equal(2, dataVolumes.Distinct().Count());
        var keys = Assert.Single(keyVolumes.Distinct());
        var named = (Dictionary<object, object>)compose["volumes"];
        Assert.All(dataVolumes.Append(keys), v => Assert.True(named.ContainsKey(v), $"volume {v} is not declared under volumes:"));

        // A fresh named volume takes the owner of the folder it is mounted on: the app user must own each mount point.
        var console = FinalStage();
        var owned = OwnedByTheAppUser(console[..Array.FindIndex(console, l => l == "USER $APP_UID")]);
        Assert.All(mountPoints, p => Assert.True(owned.Contains(p), $"the image must create {p}, owned by $APP_UID, before switching to that user"));
        Assert.Equal("localkms", ((Dictionary<object, object>)((Dictionary<object, object>)services["localkms"])["build"])["target"]);
    }

    /// <summary>The folders a <c>RUN mkdir -p … &amp;&amp; chown $APP_UID …</c> line creates and hands to the app user.</summary>
    private static HashSet<string> OwnedByTheAppUser(IEnumerable<string> lines) =>
        lines.Select(l => MadeAndOwned().Match(l)).Where(m => m.Success)
            .SelectMany(m => m.Groups["made"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Intersect(m.Groups["owned"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .ToHashSet();

    [GeneratedRegex(@"^RUN mkdir -p (?<made>[^&]+) && chown \$APP_UID (?<owned>[^&]+)$")]
    private static partial Regex MadeAndOwned();

    private static Dictionary<object, object> Compose()
    {
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Root, "compose.yaml")));
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(reader)));
    }

    /// <summary>Compose's own interpolation, with an example value for a variable the operator must set.</summary>
    private static string Interpolate(string value) =>
        Variable().Replace(value, m => m.Groups["default"].Success ? m.Groups["default"].Value : "https://login.example.com");

    [GeneratedRegex(@"\$\{(?<name>[A-Z_]+)(:-(?<default>[^}]*)|:\?[^}]*)?\}")]
    private static partial Regex Variable();

    private static string[] FinalStage() => Dockerfile.Split("\nFROM ")[^1].Split('\n').Select(l => l.Trim()).ToArray();

    private static string[] Stage(string name) =>
        Dockerfile.Split("\nFROM ").Single(s => s.Split('\n')[0].EndsWith($" AS {name}", StringComparison.Ordinal)).Split('\n').Select(l => l.Trim()).ToArray();

    private static string Single(string[] lines, string prefix) => Assert.Single(lines, l => l.StartsWith(prefix, StringComparison.Ordinal));

    private static int Port(string line) => int.Parse(PortNumber().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?:EXPOSE |:)(\d{2,5})\b")]
    private static partial Regex PortNumber();

    private static string[] JsonArray(string line) => System.Text.Json.JsonSerializer.Deserialize<string[]>(line[line.IndexOf('[', StringComparison.Ordinal)..])!;

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "KmsConsole.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("No KmsConsole.sln above the test output.");
    }
}
