using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KmsConsole.Web.Components.Policies;

/// <summary>An Admin's proposal of a policy or a new version; each refusal of the service shows at the field it names.</summary>
public partial class ProposePolicyForm
{
    [Inject] private RotationPolicies Policies { get; set; } = default!;

    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;

    [Parameter, EditorRequired] public Actor Actor { get; set; } = default!;

    /// <summary>
    /// The service answered: with a refusal naming no field of this form (e.g. a version still waiting) for the page's
    /// message, or null when the proposal was stored or refused at its fields.
    /// </summary>
    [Parameter] public EventCallback<string?> Answered { get; set; }

    /// <summary>The fields by the names <see cref="PolicyProposal"/>'s check gives them.</summary>
    private static class F
    {
        public const string Name = nameof(PolicyProposal.Name);
        public const string Days = nameof(PolicyRule.Days);
        public const string Remedy = nameof(PolicyRule.Remedy);
        public const string RemedyParameters = nameof(PolicyRule.RemedyParameters);
        public const string Cron = "Schedule.Cron";
        public const string TimeZone = "Schedule.TimeZone";
        public const string LeadTimeDays = "Schedule.LeadTimeDays";
        public const string Justification = nameof(PolicyProposal.Justification);
    }

    private sealed record ScopeField(string Name, string Label, string? Helper, Func<PolicyForm, string?> Get, Action<PolicyForm, string?> Set)
    {
        public string TestId => $"scope-{Name.ToLowerInvariant()}";
    }

    private static readonly ScopeField[] ScopeFields =
    [
        new(nameof(PolicyScope.Origins), "Origins (comma separated)", "e.g. AWS_KMS, EXTERNAL", f => f.Origins, (f, v) => f.Origins = v),
        new(nameof(PolicyScope.KeySpecs), "Key specs", "e.g. SYMMETRIC_DEFAULT", f => f.KeySpecs, (f, v) => f.KeySpecs = v),
        new(nameof(PolicyScope.Targets), "Targets", null, f => f.Targets, (f, v) => f.Targets = v),
        new(nameof(PolicyScope.Regions), "Regions", "e.g. eu-west-1", f => f.Regions, (f, v) => f.Regions = v),
        new(nameof(PolicyScope.KeyManagers), "Key managers", "AWS, CUSTOMER", f => f.KeyManagers, (f, v) => f.KeyManagers = v),
        new(nameof(PolicyScope.Tags), "Tags", "key=value, comma separated", f => f.Tags, (f, v) => f.Tags = v),
        new(nameof(PolicyScope.AliasPrefix), "Alias prefix", "e.g. alias/payments-", f => f.AliasPrefix, (f, v) => f.AliasPrefix = v),
        new(nameof(PolicyScope.DescriptionContains), "Description contains", null, f => f.DescriptionContains, (f, v) => f.DescriptionContains = v),
        new(nameof(PolicyScope.Exclusions), "Excluded keys", "key ids, ARNs or aliases", f => f.Exclusions, (f, v) => f.Exclusions = v),
    ];

    private readonly FieldRefusals _fields = new([F.Name, F.Days, F.Remedy, F.RemedyParameters, F.Cron, F.TimeZone, F.LeadTimeDays, F.Justification,
        .. ScopeFields.Select(f => f.Name)]);

    private PolicyForm _form = new();
    private bool _busy;

    /// <summary>Starts a new version of an active policy, filled in from it.</summary>
    public void EditFrom(RotationPolicy policy)
    {
        _form = PolicyForm.From(policy);
        _fields.Clear();
        StateHasChanged();
    }

    private void StartNew()
    {
        _form = new PolicyForm();
        _fields.Clear();
    }

    private void KindChanged(PolicyRuleKind kind)
    {
        _form.Kind = kind;
        var rule = ComplianceRules.For(kind);
        _form.Remedy = rule.Remedies.Count > 0 ? rule.Remedies[0] : null;
        _form.Days = rule.Days is { } range ? Math.Clamp(_form.Days, range.Min, range.Max) : 0;
    }

    private async Task ProposeAsync()
    {
        _fields.Clear();
        foreach (var (field, text) in ScopeFields.Select(f => (f.Name, f.Get(_form))).Append((F.Justification, _form.Justification)))
        {
            if (FreeText.TooLong(text) is { } tooLong)
            {
                _fields.Set(field, tooLong);
            }
        }

        if (_fields.Any)
        {
            await Answered.InvokeAsync(null);
            return;
        }

        _busy = true;
        string? refusal = null;
        try
        {
            await Policies.ProposeAsync(Actor, _form.ToProposal());
            _form = new PolicyForm();
        }
        catch (RotationRefusedException refused)
        {
            refusal = _fields.TryHold(refused) ? null : refused.Message;
        }
        finally
        {
            _busy = false;
        }

        await Answered.InvokeAsync(refusal);
    }
}
