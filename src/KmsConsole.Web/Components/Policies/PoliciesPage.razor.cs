using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Components.Policies;

/// <summary>Proposes, approves and rejects policy versions and exemptions; every rule is the services', the page only asks and shows.</summary>
public partial class PoliciesPage : IDisposable
{
    [Inject] private RotationPolicies Policies { get; set; } = default!;

    [Inject] private PolicyExemptions Exemptions { get; set; } = default!;

    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;

    [Inject] private IOptions<RotationOptions> Options { get; set; } = default!;

    [Inject] private IChangeFeed Changes { get; set; } = default!;

    [Inject] private TimeProvider Time { get; set; } = default!;

    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private Actor _actor = default!;
    private bool _isAdmin;
    private bool _canApprove;
    private IReadOnlyList<RotationPolicy> _policies = [];
    private IReadOnlyList<PolicyExemption> _exemptions = [];
    private PolicyForm _form = new();
    private ExemptionForm _exemption = new();
    private string? _decisionComment;
    private string? _refusal;
    private LiveUpdates? _live;

    protected override async Task OnInitializedAsync()
    {
        _actor = ConsoleActor.From((await AuthenticationState).User);
        _isAdmin = _actor.IsIn(Roles.Admin);
        _canApprove = _actor.IsIn(Roles.Approver);
        _live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ReloadAsync, ChangeKind.Governance);
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _policies = await Policies.ListAsync();
        _exemptions = await Exemptions.ListAsync();
    }

    private async Task ReloadAsync()
    {
        await LoadAsync();
        StateHasChanged();
    }

    private void KindChanged(PolicyRuleKind kind)
    {
        _form.Kind = kind;
        var rule = ComplianceRules.For(kind);
        _form.Remedy = rule.Remedies.Count > 0 ? rule.Remedies[0] : null;
        _form.Days = rule.Days is { } range ? Math.Clamp(_form.Days, range.Min, range.Max) : 0;
    }

    private void EditFrom(RotationPolicy policy) => _form = PolicyForm.From(policy);

    private Task ProposeAsync() => ActAsync(async () =>
    {
        await Policies.ProposeAsync(_actor, _form.ToProposal());
        _form = new PolicyForm();
    });

    private Task DecidePolicyAsync(Guid versionId, bool approve) => ActAsync(() => approve
        ? Policies.ApproveAsync(_actor, versionId, _decisionComment)
        : Policies.RejectAsync(_actor, versionId, _decisionComment ?? ""));

    private Task DecideExemptionAsync(Guid exemptionId, bool approve) => ActAsync(() => approve
        ? Exemptions.ApproveAsync(_actor, exemptionId, _decisionComment)
        : Exemptions.RejectAsync(_actor, exemptionId, _decisionComment ?? ""));

    private Task RevokeAsync(Guid exemptionId) => ActAsync(() => Exemptions.RevokeAsync(_actor, exemptionId, _decisionComment ?? ""));

    private Task RequestExemptionAsync() => ActAsync(async () =>
    {
        if (_exemption.PolicyId is not { } policyId)
        {
            throw RotationRefusedException.Missing("Choose the policy the key is exempted from.", "PolicyId");
        }

        var target = Options.Value.Targets.FirstOrDefault()?.Name ?? "";
        await Exemptions.RequestAsync(_actor, new ExemptionRequest(policyId, target, (_exemption.KeyId ?? "").Trim(), _exemption.Reason ?? "",
            Time.GetUtcNow().AddDays(_exemption.Days)));
        _exemption = new ExemptionForm();
    });

    private async Task ActAsync(Func<Task> action)
    {
        _refusal = null;
        try
        {
            await action();
            _decisionComment = null;
        }
        catch (RotationRefusedException refused)
        {
            _refusal = refused.Message;
        }

        await LoadAsync();
    }

    public void Dispose() => _live?.Dispose();

    private sealed class ExemptionForm
    {
        public Guid? PolicyId { get; set; }
        public string? KeyId { get; set; }
        public string? Reason { get; set; }
        public int Days { get; set; } = 30;
    }
}
