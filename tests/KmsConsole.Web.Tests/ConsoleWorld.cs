using KmsConsole.LocalKms.Hosting;
using KmsConsole.Rotation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KmsConsole.Web.Tests;

/// <summary>
/// The real parts behind the pages: a LocalKmsServer on a free loopback port with the workshop's
/// seed, and the Rotation services (orchestrator included) over a SQLite file in a temp folder.
/// Nothing here is a mock.
/// </summary>
public sealed class ConsoleWorld : IAsyncDisposable
{
    private readonly string directory;
    private readonly LocalKmsServer kms;
    private readonly IHost host;
    private readonly AsyncServiceScope scope;

    private ConsoleWorld(string directory, LocalKmsServer kms, IHost host, SqlCommandLog sql, KmsCallLog kmsCalls)
    {
        this.directory = directory;
        this.kms = kms;
        this.host = host;
        Sql = sql;
        KmsCalls = kmsCalls;
        scope = host.Services.CreateAsyncScope();
    }

    /// <summary>The SQL commands run on the world's database.</summary>
    public SqlCommandLog Sql { get; }

    /// <summary>The KMS operations the world's local endpoint answered.</summary>
    public KmsCallLog KmsCalls { get; }

    public const string Target = "local";

    public Uri KmsEndpoint => kms.Endpoint;

    public IServiceProvider Services => scope.ServiceProvider;

    /// <param name="actAsWorkshopRole">
    /// The target acts as the local endpoint's seeded KMSWorkshop-InstanceInitRole (no rotation permissions) and KMS
    /// enforces its IAM policies, as in the workshop's starting point.
    /// </param>
    /// <param name="settings">More configuration (e.g. <c>Notifications:SecretKey</c>), over the world's own.</param>
    /// <param name="moreTargets">Targets after <see cref="Target"/>, by name, each another Region of the same local endpoint (its keys of its own).</param>
    public static async Task<ConsoleWorld> StartAsync(bool orchestrator = true, bool actAsWorkshopRole = false, IDictionary<string, string?>? settings = null,
        IReadOnlyDictionary<string, string>? moreTargets = null)
    {
        var directory = Directory.CreateTempSubdirectory("kmsconsole-web-tests-").FullName;
        var kmsCalls = new KmsCallLog();
        var kms = await LocalKmsServer.StartAsync(new LocalKmsOptions { DataDirectory = Path.Combine(directory, "localkms") }, "http://127.0.0.1:0", null,
            services => services.AddSingleton<KmsConsole.LocalKms.Protocol.IKmsOperationAuthorizer>(kmsCalls), mapEndpoints: null);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rotation:Database:Provider"] = "Sqlite",
            ["Rotation:Database:ConnectionString"] = $"Data Source={Path.Combine(directory, "kmsconsole.db")}",
            ["Rotation:Targets:0:Name"] = Target,
            ["Rotation:Targets:0:ServiceUrl"] = kms.Endpoint.ToString(),
            ["Rotation:Targets:0:Region"] = "us-east-1",
            ["Rotation:Targets:0:AccessKeyId"] = actAsWorkshopRole ? KmsConsole.LocalKms.Iam.IamSeed.RoleName : "kmsconsole-tests",
            ["Rotation:Targets:0:SecretAccessKey"] = "local-endpoint",
            ["Rotation:Orchestrator:Enabled"] = orchestrator ? "true" : "false",
            ["Rotation:Orchestrator:PollInterval"] = "00:00:00.200",
        });
        foreach (var (i, (name, region)) in (moreTargets ?? new Dictionary<string, string>()).Index())
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"Rotation:Targets:{i + 1}:Name"] = name,
                [$"Rotation:Targets:{i + 1}:ServiceUrl"] = kms.Endpoint.ToString(),
                [$"Rotation:Targets:{i + 1}:Region"] = region,
                [$"Rotation:Targets:{i + 1}:AccessKeyId"] = "kmsconsole-tests",
                [$"Rotation:Targets:{i + 1}:SecretAccessKey"] = "local-endpoint",
            });
        }

        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        kms.Services.GetRequiredService<KmsConsole.LocalKms.Iam.LocalIamOptions>().EnforceKmsPermissions = actAsWorkshopRole;
        var sql = new SqlCommandLog();
        builder.Logging.AddProvider(sql);
        builder.AddRotation();
        var host = builder.Build();
        await host.StartAsync();

        var world = new ConsoleWorld(directory, kms, host, sql, kmsCalls);
        await world.Get<KeyInventory>().SyncAsync(null);
        return world;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Makes the world's services what the components under test inject.</summary>
    public void ServeTo(IServiceCollection services)
    {
        services.AddScoped(_ => Get<KeyInventory>());
        services.AddScoped(_ => Get<RunQueries>());
        services.AddScoped(_ => Get<RotationRequests>());
        services.AddScoped(_ => Get<AuditTrail>());
        services.AddScoped(_ => Get<KmsConsole.Rotation.Iam.PolicyGrants>());
        services.AddScoped(_ => Get<KmsConsole.Rotation.Safety.HazardAcknowledgements>());
        services.AddScoped(_ => Get<KmsConsole.Rotation.Safety.RetirementWatch>());
        services.AddScoped(_ => Get<KmsConsole.Rotation.Governance.RotationPolicies>());
        services.AddScoped(_ => Get<KmsConsole.Rotation.Governance.PolicyExemptions>());
        services.AddScoped(_ => Get<KmsConsole.Rotation.Governance.ComplianceReports>());
        services.AddScoped(_ => Get<KmsConsole.Rotation.Governance.Campaigns>());
        services.AddScoped(_ => Get<PersonalAccessTokens>());
        services.AddSingleton(_ => Get<Microsoft.Extensions.Options.IOptions<RotationOptions>>());
        services.AddSingleton(_ => Get<RunChangeFeed>());
        services.AddSingleton(_ => Get<KmsConsole.Rotation.Workflows.WorkflowDefinitions>());
        services.AddSingleton(_ => Get<KmsConsole.Rotation.Changes.IChangeFeed>());
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await scope.DisposeAsync();
        await host.StopAsync();
        host.Dispose();
        await kms.DisposeAsync();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may hold the file for a moment after the pool closes.
        }
    }
}
