using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KmsConsole.Rotation.Governance;

internal static class GovernanceServiceCollectionExtensions
{
    /// <summary>Policies, exemptions and compliance (registered by AddRotationCore).</summary>
    public static IServiceCollection AddGovernance(this IServiceCollection services)
    {
        services.AddSingleton(sp => new ComplianceEvaluation(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<IChangeFeed>()));
        services.AddSingleton(sp => new RotationPolicies(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<ComplianceEvaluation>(),
            sp.GetRequiredService<IChangeFeed>(), sp.GetRequiredService<IOptions<RotationOptions>>(), sp.GetRequiredService<Workflows.WorkflowDefinitions>()));
        services.AddSingleton(sp => new PolicyExemptions(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<RotationPolicies>(),
            sp.GetRequiredService<ComplianceEvaluation>(), sp.GetRequiredService<IChangeFeed>()));
        services.AddSingleton(sp => new ComplianceReports(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<ComplianceEvaluation>()));
        services.AddSingleton(sp => new Campaigns(sp.GetRequiredService<RotationStore>(), sp.GetRequiredService<RotationRequests>(),
            sp.GetRequiredService<IChangeFeed>(), sp.GetRequiredService<IOptions<RotationOptions>>(), sp.GetRequiredService<Workflows.WorkflowDefinitions>(),
            sp.GetRequiredService<Runs.IWorkflowCatalog>()));
        services.AddSingleton<CampaignDriver>();
        services.AddSingleton<PolicySchedules>();
        services.AddHostedService<CampaignService>();
        services.AddSingleton<ExemptionExpiry>();
        services.AddHostedService<ExemptionExpiryService>();
        return services;
    }
}
