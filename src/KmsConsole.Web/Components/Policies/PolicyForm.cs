using KmsConsole.Rotation.Governance;

namespace KmsConsole.Web.Components.Policies;

/// <summary>The proposal form's fields; lists are typed comma separated. The service checks every value.</summary>
internal sealed class PolicyForm
{
    public Guid? PolicyId { get; set; }
    public string? Name { get; set; }
    public PolicyRuleKind Kind { get; set; } = PolicyRuleKind.AutomaticRotation;
    public int Days { get; set; } = WorkflowBounds.DefaultRotationPeriodInDays;
    public int RotationPeriod { get; set; } = WorkflowBounds.DefaultRotationPeriodInDays;
    public WorkflowKind? Remedy { get; set; } = WorkflowKind.EnableAutomaticRotation;
    public string? Targets { get; set; }
    public string? Regions { get; set; }
    public string? Origins { get; set; }
    public string? KeySpecs { get; set; }
    public string? KeyManagers { get; set; }
    public string? Tags { get; set; }
    public string? AliasPrefix { get; set; }
    public string? DescriptionContains { get; set; }
    public string? Exclusions { get; set; }
    public string? Justification { get; set; }
    public string? Cron { get; set; }
    public string? TimeZone { get; set; }
    public int? LeadTimeDays { get; set; }

    public PolicyProposal ToProposal() => new(
        Name ?? "",
        new PolicyScope
        {
            Targets = List(Targets),
            Regions = List(Regions),
            Origins = List(Origins),
            KeySpecs = List(KeySpecs),
            KeyManagers = List(KeyManagers),
            Tags = List(Tags),
            AliasPrefix = Blank(AliasPrefix),
            DescriptionContains = Blank(DescriptionContains),
            Exclusions = List(Exclusions),
        },
        new PolicyRule
        {
            Kind = Kind,
            Days = ComplianceRules.For(Kind).Days is null ? 0 : Days,
            Remedy = ComplianceRules.For(Kind).Remedies.Count == 0 ? null : Remedy,
            RemedyParameters = Kind == PolicyRuleKind.AutomaticRotation ? new RotationParameters { RotationPeriodInDays = RotationPeriod } : new RotationParameters(),
        },
        Justification ?? "",
        PolicyId,
        Blank(Cron) is null && LeadTimeDays is null ? null : new PolicySchedule { Cron = Blank(Cron), TimeZone = Blank(TimeZone), LeadTimeDays = LeadTimeDays });

    public static PolicyForm From(RotationPolicy p) => new()
    {
        PolicyId = p.PolicyId,
        Name = p.Name,
        Kind = p.Rule.Kind,
        Days = p.Rule.Days,
        RotationPeriod = p.Rule.RemedyParameters.RotationPeriodInDays ?? WorkflowBounds.DefaultRotationPeriodInDays,
        Remedy = p.Rule.Remedy,
        Targets = Join(p.Scope.Targets),
        Regions = Join(p.Scope.Regions),
        Origins = Join(p.Scope.Origins),
        KeySpecs = Join(p.Scope.KeySpecs),
        KeyManagers = Join(p.Scope.KeyManagers),
        Tags = Join(p.Scope.Tags),
        AliasPrefix = p.Scope.AliasPrefix,
        DescriptionContains = p.Scope.DescriptionContains,
        Exclusions = Join(p.Scope.Exclusions),
        Cron = p.Schedule?.Cron,
        TimeZone = p.Schedule?.TimeZone,
        LeadTimeDays = p.Schedule?.LeadTimeDays,
    };

    private static List<string> List(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static string? Join(List<string> values) => values.Count == 0 ? null : string.Join(", ", values);

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
