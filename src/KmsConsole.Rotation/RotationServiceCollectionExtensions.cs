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
            builder.Services.AddHostedService<KeyLastUseReader>();
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
        services.AddInternalSingleton<RotationRequests>();
        services.AddInternalSingleton<Iam.PolicyGrants>();
        services.AddInternalSingleton<Safety.HazardAcknowledgements>();
        services.AddInternalSingleton<Safety.RetirementWatch>();
        services.AddInternalSingleton<RunQueries>();
        services.TryAddSingleton<Audit.AuditIntegrity>();
        services.AddInternalSingleton<AuditTrail>();
        services.AddInternalSingleton<KeyInventory>();
        services.AddGovernance();
        services.AddOptions<Notifications.NotificationOptions>();
        services.AddSingleton<Notifications.IChangeNotifications, Notifications.RunChangeNotifications>();
        services.AddSingleton<Notifications.IChangeNotifications, Notifications.GrantChangeNotifications>();
        services.AddSingleton<Notifications.IChangeNotifications, Notifications.AuditAlarmNotifications>();
        services.AddSingleton<Notifications.IChangeNotifications, Notifications.CampaignChangeNotifications>();
        services.AddSingleton<Notifications.IChangeNotifications, Notifications.ComplianceChangeNotifications>();
        services.AddSingleton<Notifications.IScheduledNotifications, Notifications.MaterialExpiryNotifications>();
        services.AddSingleton<Notifications.IScheduledNotifications, Notifications.ApprovalExpiryNotifications>();
        services.AddSingleton<Notifications.NotificationOutbox>();
        services.AddInternalSingleton<Notifications.NotificationChecks>();
        services.AddHostedService<Notifications.NotificationCheckSchedule>();
        services.AddInternalSingleton<Notifications.NotificationDeliveries>();
        services.AddInternalSingleton<Notifications.NotificationPreferences>();
        services.AddSingleton<Notifications.ChannelSecrets>();
        services.AddInternalSingleton<Notifications.ConsoleChannels>();
        services.AddInternalSingleton<Notifications.NotificationChannelDirectory>();
        services.AddInternalSingleton<PersonalAccessTokens>();
        services.AddInternalSingleton<ConsoleUsers>();
        services.AddInternalSingleton<Automation.IdempotentRunRequests>();
        services.AddHostedService<Persistence.DatabaseMigration>();
        return services;
    }
}
