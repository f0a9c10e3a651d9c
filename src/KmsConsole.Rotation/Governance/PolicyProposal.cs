using System.Reflection;
using System.Text.RegularExpressions;
using Amazon.KeyManagementService;
using Amazon.Runtime;

namespace KmsConsole.Rotation.Governance;

/// <summary>A new policy (<see cref="PolicyId"/> null) or a new version of one, as an Admin proposes it.</summary>
public sealed record PolicyProposal(string Name, PolicyScope Scope, PolicyRule Rule, string Justification, Guid? PolicyId = null,
    PolicySchedule? Schedule = null)
{
    public const int MaxNameLength = 100;
}

/// <summary>Checks a proposal against the rule's bounds, its remedies and the values KMS knows; reports every problem at once.</summary>
internal static partial class PolicyProposalCheck
{
    public static void Check(PolicyProposal proposal, RotationOptions options, Workflows.WorkflowDefinitions definitions)
    {
        var problems = new List<(string Field, string Problem)>();
        if (string.IsNullOrWhiteSpace(proposal.Name) || proposal.Name.Trim().Length > PolicyProposal.MaxNameLength)
        {
            problems.Add(("Name", $"Give the policy a name of 1 to {PolicyProposal.MaxNameLength} characters."));
        }

        if (string.IsNullOrWhiteSpace(proposal.Justification))
        {
            problems.Add(("Justification", "Give a justification: approvers and auditors read it."));
        }

        var rule = ComplianceRules.For(proposal.Rule.Kind);
        if (rule.Days is { } days && !days.Contains(proposal.Rule.Days))
        {
            problems.Add(("Days", $"{days.Rule} for this rule; {proposal.Rule.Days} was asked."));
        }

        if (rule.Remedies.Count == 0 && proposal.Rule.Remedy is not null)
        {
            problems.Add(("Remedy", "This rule only flags keys for review; it takes no remedy workflow."));
        }
        else if (rule.Remedies.Count > 0 && (proposal.Rule.Remedy is not { } remedy || !rule.Remedies.Contains(remedy)))
        {
            problems.Add(("Remedy", $"Name the workflow that remedies this rule: one of {string.Join(", ", rule.Remedies.Select(definitions.LabelOf))}."));
        }

        if (proposal.Rule.Kind == PolicyRuleKind.AutomaticRotation
            && (proposal.Rule.RemedyParameters.RotationPeriodInDays ?? WorkflowBounds.DefaultRotationPeriodInDays) > proposal.Rule.Days)
        {
            problems.Add(("RemedyParameters", $"The remedy's rotation period ({proposal.Rule.RemedyParameters.RotationPeriodInDays ?? WorkflowBounds.DefaultRotationPeriodInDays} days) " +
                $"must be at most the policy's {proposal.Rule.Days} days, or the remedied keys would still break it."));
        }

        if (proposal.Schedule?.Problem() is { } scheduleProblem)
        {
            problems.Add(scheduleProblem);
        }

        if (proposal.Schedule is not null && proposal.Rule.Remedy is null)
        {
            problems.Add((PolicySchedule.CronField, "A rule that only flags keys opens no campaign, so it takes no schedule."));
        }

        var scope = proposal.Scope;
        problems.AddRange(scope.Targets.Where(t => options.FindTarget(t) is null).Select(t => ("Targets", $"No KMS target named '{t}' is configured.")));
        problems.AddRange(scope.Regions.Where(r => !RegionName().IsMatch(r)).Select(r => ("Regions", $"'{r}' is not an AWS Region name (e.g. eu-west-1).")));
        problems.AddRange(Unknown<OriginType>(scope.Origins).Select(o => ("Origins", $"'{o}' is not a key origin KMS knows ({string.Join(", ", KnownValues<OriginType>())}).")));
        problems.AddRange(Unknown<KeySpec>(scope.KeySpecs).Select(s => ("KeySpecs", $"'{s}' is not a key spec KMS knows.")));
        problems.AddRange(Unknown<KeyManagerType>(scope.KeyManagers).Select(m => ("KeyManagers", $"'{m}' is not a key manager KMS knows (AWS, CUSTOMER).")));
        problems.AddRange(scope.Tags.Where(t => PolicyScope.SplitTag(t).Key.Length == 0 || !t.Contains('=', StringComparison.Ordinal))
            .Select(t => ("Tags", $"'{t}' is not a tag: write it key=value.")));
        if (problems.Count > 0)
        {
            throw new RotationRefusedException($"The policy cannot be proposed: {string.Join(" ", problems.Select(p => p.Problem))}",
                problems.Select(p => p.Problem).ToList(), RefusalKind.Invalid)
            {
                Field = problems[0].Field,
                FieldProblems = problems.GroupBy(p => p.Field).ToDictionary(g => g.Key, g => string.Join(" ", g.Select(p => p.Problem))),
            };
        }
    }

    /// <summary>The values of an SDK constant class (OriginType.AWS_KMS, ...), read from its static fields.</summary>
    public static IReadOnlyList<string> KnownValues<T>() where T : ConstantClass =>
        typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(T))
            .Select(f => ((T)f.GetValue(null)!).Value).ToList();

    private static IEnumerable<string> Unknown<T>(IEnumerable<string> values) where T : ConstantClass
    {
        var known = KnownValues<T>();
        return values.Where(v => !known.Contains(v, StringComparer.Ordinal));
    }

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]+$")]
    private static partial Regex RegionName();
}
