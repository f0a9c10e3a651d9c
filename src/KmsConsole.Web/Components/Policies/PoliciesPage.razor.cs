using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Shared;
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
    /// <summary>The exemption form's fields by the names <see cref="PolicyExemptions"/> gives them.</summary>
    private static class E
    {
        public const string PolicyId = nameof(ExemptionRequest.PolicyId);
        public const string KeyId = nameof(ExemptionRequest.KeyId);
        public const string ExpiresAt = nameof(ExemptionRequest.ExpiresAt);
        public const string Reason = nameof(ExemptionRequest.Reason);
    }

    private const string PolicyCommentField = "policy-comment";
    private const string ExemptionCommentField = "exemption-comment";

    private readonly FieldRefusals _fields = new(E.PolicyId, E.KeyId, E.ExpiresAt, E.Reason, PolicyCommentField, ExemptionCommentField);
    private ProposePolicyForm? _proposeForm;
    private ExemptionForm _exemption = new();
    private string? _policyComment;
    private string? _exemptionComment;
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

    private async Task ProposalAnswered(string? refusal)
    {
        _refusal = refusal;
        await ReloadAsync();
    }

    private Task DecidePolicyAsync(Guid versionId, bool approve) => ActAsync(PolicyCommentField, _policyComment, comment => approve
        ? Policies.ApproveAsync(_actor, versionId, comment)
        : Policies.RejectAsync(_actor, versionId, comment ?? ""));

    private Task DecideExemptionAsync(Guid exemptionId, bool approve) => ActAsync(ExemptionCommentField, _exemptionComment, comment => approve
        ? Exemptions.ApproveAsync(_actor, exemptionId, comment)
        : Exemptions.RejectAsync(_actor, exemptionId, comment ?? ""));

    private Task RevokeAsync(Guid exemptionId) => ActAsync(ExemptionCommentField, _exemptionComment, comment => Exemptions.RevokeAsync(_actor, exemptionId, comment ?? ""));

    private async Task RequestExemptionAsync()
    {
        _refusal = null;
        _fields.Clear();
        if (FreeText.TooLong(_exemption.Reason) is { } tooLong)
        {
            _fields.Set(E.Reason, tooLong);
        }

        if (_exemption.PolicyId is not { } policyId)
        {
            _fields.Set(E.PolicyId, "Choose the policy the key is exempted from.");
            return;
        }

        if (_fields.Any)
        {
            return;
        }

        try
        {
            var target = Options.Value.Targets.FirstOrDefault()?.Name ?? "";
            await Exemptions.RequestAsync(_actor, new ExemptionRequest(policyId, target, (_exemption.KeyId ?? "").Trim(), _exemption.Reason ?? "",
                Time.GetUtcNow().AddDays(_exemption.Days)));
            _exemption = new ExemptionForm();
        }
        catch (RotationRefusedException refused)
        {
            if (!_fields.TryHold(refused))
            {
                _refusal = refused.Message;
            }
        }

        await LoadAsync();
    }

    /// <summary>A decision with the comment typed for it; a refusal of the comment shows under it, any other in the page's message.</summary>
    private async Task ActAsync(string commentField, string? comment, Func<string?, Task> action)
    {
        _refusal = null;
        _fields.Clear();
        if (FreeText.TooLong(comment) is { } tooLong)
        {
            _fields.Set(commentField, tooLong);
            return;
        }

        try
        {
            await action(comment);
            _policyComment = null;
            _exemptionComment = null;
        }
        catch (RotationRefusedException refused) when (refused.Kind == RefusalKind.Invalid && refused.Field is "comment" or "reason")
        {
            _fields.Set(commentField, refused.Message);
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
