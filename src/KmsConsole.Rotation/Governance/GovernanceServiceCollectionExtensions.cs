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
        services.AddSingleton<ComplianceEvaluation>();
        services.AddInternalSingleton<RotationPolicies>();
        services.AddInternalSingleton<PolicyExemptions>();
        services.AddInternalSingleton<ComplianceReports>();
        services.AddInternalSingleton<Campaigns>();
        services.AddSingleton<CampaignDriver>();
        services.AddSingleton<PolicySchedules>();
        services.AddHostedService<CampaignService>();
        services.AddSingleton<ExemptionExpiry>();
        services.AddHostedService<ExemptionExpiryService>();
        return services;
    }
}
