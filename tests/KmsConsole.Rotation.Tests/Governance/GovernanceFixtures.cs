using Amazon.KeyManagementService;
using KmsConsole.Rotation.Governance;

namespace KmsConsole.Rotation.Tests.Governance;

/// <summary>Admins who propose policies, and small builders of the policies the tests use.</summary>
internal static class GovernanceFixtures
{
    public static readonly Actor Ada = new("ada", "Ada Admin", new HashSet<string> { Roles.Admin });
    public static readonly Actor Abe = new("abe", "Abe Admin", new HashSet<string> { Roles.Admin });

    public static RotationPolicies Policies(this RotationWorld world) => world.Get<RotationPolicies>();
    public static PolicyExemptions Exemptions(this RotationWorld world) => world.Get<PolicyExemptions>();
    public static ComplianceReports Compliance(this RotationWorld world) => world.Get<ComplianceReports>();
    public static Campaigns Campaigns(this RotationWorld world) => world.Get<Campaigns>();

    /// <summary>The campaign driver and one orchestrator take turns until the campaign is over and no key of it runs, within <paramref name="limit"/>.</summary>
    public static async Task<Campaign> DriveCampaignAsync(this RotationWorld world, Guid campaignId, TimeSpan limit)
    {
        var driver = world.Get<CampaignDriver>();
        var orchestrator = world.NewOrchestrator();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            await driver.AdvanceAsync(CancellationToken.None);
            await orchestrator.DrainAsync(CancellationToken.None);
            var campaign = (await world.Campaigns().GetAsync(campaignId))!;
            if (campaign.IsOver && campaign.Keys.All(k => k.State != CampaignKeyState.Running))
            {
                return campaign;
            }
        }

        throw new TimeoutException($"Campaign {campaignId} did not finish within {limit}.");
    }

    /// <summary>KMS.4 with a period: customer managed symmetric keys rotate automatically every <paramref name="days"/> days or less.</summary>
    public static PolicyProposal Kms4(int days = 365, PolicyScope? scope = null, string name = "KMS.4", Guid? policyId = null) =>
        new(name, scope ?? new PolicyScope { Origins = [OriginType.AWS_KMS.Value] },
            new PolicyRule { Kind = PolicyRuleKind.AutomaticRotation, Days = days, Remedy = WorkflowKind.EnableAutomaticRotation,
                RemedyParameters = new RotationParameters { RotationPeriodInDays = Math.Min(days, 365) } },
            "Security Hub KMS.4", policyId);

    /// <summary>Proposed by Ada, approved by Bob (and Carol when two are needed): the active version.</summary>
    public static async Task<RotationPolicy> ActivateAsync(this RotationWorld world, PolicyProposal proposal)
    {
        var version = await world.Policies().ProposeAsync(Ada, proposal);
        var needed = proposal.Rule.Remedy is { } remedy ? world.Options.PolicyFor(remedy).RequiredApprovals : 1;
        foreach (var approver in new[] { RotationWorld.Bob, RotationWorld.Carol }.Take(needed))
        {
            await world.Policies().ApproveAsync(approver, version.Id, "agreed");
        }

        return (await world.Policies().ListAsync()).Single(p => p.Id == version.Id);
    }

    public static async Task<IReadOnlyList<ComplianceRow>> AnswersAsync(this RotationWorld world, Guid policyId, ComplianceStatus? status = null) =>
        (await world.Compliance().QueryAsync(new ComplianceQuery { PolicyId = policyId, Status = status, PageSize = 500 })).Items;
}
