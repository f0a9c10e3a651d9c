using KmsConsole.Rotation.Audit;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Persistence;
using KmsConsole.Rotation.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation;

public static class RotationServiceCollectionExtensions
{
    /// <summary>
    /// Binds section "Rotation", registers the database (migrated at start), the KMS client factory, the
    /// services the web console calls and, when Orchestrator:Enabled, the orchestrator hosted service.
    /// </summary>
    public static IHostApplicationBuilder AddRotation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RotationOptions>()
            .Bind(builder.Configuration.GetSection(RotationOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RotationOptions>, RotationOptionsValidator>();

        builder.Services.AddOptions<Notifications.NotificationOptions>().Bind(builder.Configuration.GetSection(Notifications.NotificationOptions.SectionName));

        var options = builder.Configuration.GetSection(RotationOptions.SectionName).Get<RotationOptions>() ?? new RotationOptions();
        builder.Services.AddRotationCore(options.Database);
        builder.Services.AddAuditIntegrity(builder.Configuration);
        if (options.Orchestrator.Enabled)
        {
            builder.Services.AddHostedService<OrchestratorService>();
            builder.Services.AddHostedService<Safety.RetirementWatchService>();
        }

        return builder;
    }

    internal static IServiceCollection AddRotationCore(this IServiceCollection services, DatabaseOptions database)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IDbContextFactory<RotationDbContext>>(sp =>
            new RotationDatabase.ContextFactory(database, sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.AddSingleton<RotationDatabase>();
        services.AddSingleton<RotationStore>();
        services.AddSingleton<OrchestratorLiveness>();
        services.AddSingleton<Targets.TargetCredentials>();
        services.AddSingleton<IKmsClientFactory, Targets.KmsClientFactory>();
        services.TryAddSingleton<IIamClientFactory, Targets.IamClientFactory>();
        services.AddSingleton<Iam.RunPermissionCheck>();
        services.AddSingleton<IStepErrorPolicy, Workflows.KmsErrorPolicy>();
        services.AddSingleton<Escrow.MaterialEscrow>();
        services.AddSingleton<Workflows.WorkflowDefinitions>();
        services.AddSingleton<IWorkflowCatalog, Workflows.WorkflowCatalog>();
        services.AddSingleton<Safety.HazardCheck>();
        services.AddSingleton<Workflows.Preflight>();
        services.TryAddSingleton<RunEngineHooks>();
        if (database.Provider == DatabaseOptions.Postgres)
        {
            services.TryAddSingleton(sp => new Changes.PostgresChangeFeed(database, sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Changes.PostgresChangeFeed>>()));
            services.TryAddSingleton<Changes.IChangeFeed>(sp => sp.GetRequiredService<Changes.PostgresChangeFeed>());
            services.AddHostedService(sp => sp.GetRequiredService<Changes.PostgresChangeFeed>());
        }

        services.TryAddSingleton<Changes.IChangeFeed, Changes.InProcessChangeFeed>();
        services.AddSingleton<RunChangeFeed>();
        services.AddSingleton(sp => new RotationRequests(sp.GetRequiredService<Workflows.Preflight>(), sp.GetRequiredService<IWorkflowCatalog>(),
            sp.GetRequiredService<Workflows.WorkflowDefinitions>(),
            sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<IKmsClientFactory>(), sp.GetRequiredService<RunChangeFeed>(),
            sp.GetRequiredService<IOptions<RotationOptions>>(), sp.GetRequiredService<Iam.RunPermissionCheck>()));
        services.AddSingleton(sp => new Iam.PolicyGrants(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<IIamClientFactory>(),
            sp.GetRequiredService<IKmsClientFactory>(), sp.GetRequiredService<Workflows.Preflight>(), sp.GetRequiredService<Workflows.WorkflowDefinitions>(),
            sp.GetRequiredService<Changes.IChangeFeed>(), sp.GetRequiredService<IOptions<RotationOptions>>()));
        services.AddSingleton(sp => new Safety.HazardAcknowledgements(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<IWorkflowCatalog>(),
            sp.GetRequiredService<RunChangeFeed>(), sp.GetRequiredService<IOptions<RotationOptions>>()));
        services.AddSingleton(sp => new Safety.RetirementWatch(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<IWorkflowCatalog>(),
            sp.GetRequiredService<IKmsClientFactory>(), sp.GetRequiredService<RunChangeFeed>(), sp.GetRequiredService<IOptions<RotationOptions>>()));
        services.AddSingleton(sp => new RunQueries(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<IOptions<RotationOptions>>()));
        services.TryAddSingleton<Audit.AuditIntegrity>();
        services.AddSingleton(sp => new AuditTrail(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<Audit.AuditIntegrity>()));
        services.AddSingleton(sp => new KeyInventory(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<IKmsClientFactory>(),
            sp.GetRequiredService<IStepErrorPolicy>(), sp.GetRequiredService<IOptions<RotationOptions>>(), sp.GetRequiredService<Governance.ComplianceEvaluation>()));
        services.AddGovernance();
        services.AddOptions<Notifications.NotificationOptions>();
        services.AddSingleton<Notifications.IChangeNotifications, Notifications.RunChangeNotifications>();
        services.AddSingleton<Notifications.IChangeNotifications, Notifications.GrantChangeNotifications>();
        services.AddSingleton<Notifications.IChangeNotifications, Notifications.AuditAlarmNotifications>();
        services.AddSingleton<Notifications.IScheduledNotifications, Notifications.MaterialExpiryNotifications>();
        services.AddSingleton<Notifications.IScheduledNotifications, Notifications.ApprovalExpiryNotifications>();
        services.AddSingleton<Notifications.NotificationOutbox>();
        services.AddSingleton(sp => new Notifications.NotificationChecks(sp.GetRequiredService<RotationStore>(),
            sp.GetRequiredService<IEnumerable<Notifications.IScheduledNotifications>>(), sp.GetRequiredService<IOptions<Notifications.NotificationOptions>>()));
        services.AddHostedService<Notifications.NotificationCheckSchedule>();
        services.AddSingleton(sp => new Notifications.NotificationDeliveries(sp.GetRequiredService<RotationStore>(),
            sp.GetRequiredService<IOptions<Notifications.NotificationOptions>>()));
        services.AddSingleton(sp => new Notifications.NotificationPreferences(sp.GetRequiredService<RotationStore>()));
        services.AddSingleton(sp => new PersonalAccessTokens(sp.GetRequiredService<RotationStore>()));
        services.AddSingleton(sp => new ConsoleUsers(sp.GetRequiredService<RotationStore>()));
        services.AddSingleton(sp => new Automation.IdempotentRunRequests(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<RotationRequests>()));
        services.AddHostedService<Persistence.DatabaseMigration>();
        return services;
    }
}
