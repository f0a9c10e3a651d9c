using KmsConsole.Rotation;
using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Shared;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace KmsConsole.Web.Components.Permissions;

/// <summary>
/// Least-privilege policy grants: an Admin prepares and requests one, another Approver or Admin decides it. Every rule
/// of the form is <see cref="PolicyGrants"/>'s; a refusal naming a field is shown at that field.
/// </summary>
public partial class PermissionsPage
{
    /// <summary>The name <see cref="PolicyGrants.RequestAsync"/> gives the justification it refuses.</summary>
    private const string JustificationField = "justification";

    /// <summary>The name <see cref="PolicyGrants.RejectAsync"/> gives the comment it refuses.</summary>
    private const string RejectionReasonField = "reason";

    [Inject] private PolicyGrants Grants { get; set; } = default!;

    [Inject] private IOptions<RotationOptions> RotationSettings { get; set; } = default!;

    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;

    [Inject] private IChangeFeed Changes { get; set; } = default!;

    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "target")] public string? InitialTarget { get; set; }

    [SupplyParameterFromQuery(Name = "workflow")] public string? InitialWorkflow { get; set; }

    /// <summary>The key the request form was refused for: offered for the named scope.</summary>
    [SupplyParameterFromQuery(Name = "key")] public string? InitialKey { get; set; }

    /// <summary>The latest grants, read while prerendering and carried into the interactive render.</summary>
    [PersistentState]
    public IReadOnlyList<PolicyGrant>? RecentGrants { get; set; }

    private Actor actor = new("", "", new HashSet<string>());
    private bool isAdmin;
    private string? target;
    private readonly HashSet<WorkflowKind> workflows = [];
    private PolicyScope scope = PolicyScope.Account;
    private bool inventoryReads = true;
    private string? named;
    private string? policyName;
    private string? justification;
    private PolicyGrantPreview? preview;

    private readonly FieldRefusals fields = new(nameof(PolicyGrantRequest.Target), nameof(PolicyGrantRequest.Workflows),
        nameof(PolicyGrantRequest.NamedResources), nameof(PolicyGrantRequest.PolicyName), JustificationField);

    private readonly Dictionary<Guid, string?> comments = [];
    private readonly Dictionary<Guid, string> commentProblems = [];
    private string? message;
    private bool failed;
    private bool busy;
    private LiveUpdates? live;

    protected override async Task OnInitializedAsync()
    {
        actor = ConsoleActor.From((await AuthenticationState).User);
        isAdmin = actor.Roles.Contains(Roles.Admin);
        var targets = RotationSettings.Value.Targets;
        target = targets.FirstOrDefault(t => string.Equals(t.Name, InitialTarget, StringComparison.OrdinalIgnoreCase))?.Name ?? targets.FirstOrDefault()?.Name;
        named = InitialKey;
        if (Enum.TryParse<WorkflowKind>(InitialWorkflow, out var workflow))
        {
            workflows.Add(workflow);
        }

        live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ReloadAsync, ChangeKind.Grant);
        RecentGrants ??= await Grants.ListAsync();
    }

    private async Task LoadAsync() => RecentGrants = await Grants.ListAsync();

    private bool IsRequester(PolicyGrant grant) => string.Equals(grant.RequestedBy, actor.UserId, StringComparison.OrdinalIgnoreCase);

    private string? Comment(Guid id) => comments.TryGetValue(id, out var comment) ? comment : null;

    private void CommentChanged(Guid id, string? comment)
    {
        comments[id] = comment;
        commentProblems.Remove(id);
    }

    /// <summary>A field of the request changed: the preview no longer matches it, nor does the field's old refusal.</summary>
    private void Change(string field, Action apply)
    {
        apply();
        fields.Clear(field);
        preview = null;
    }

    private void Toggle(WorkflowKind workflow, bool on) => Change(nameof(PolicyGrantRequest.Workflows), () =>
    {
        if (on)
        {
            workflows.Add(workflow);
        }
        else
        {
            workflows.Remove(workflow);
        }
    });

    private PolicyGrantRequest Request() => new(target ?? string.Empty, workflows.Order().ToList(), scope,
        (named ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), policyName, inventoryReads);

    private Task PreviewAsync() => ActAsync(async () =>
    {
        preview = await Grants.PreviewAsync(actor, Request());
        return null;
    }, fields.TryHold);

    private Task RequestAsync() => ActAsync(async () =>
    {
        var grant = await Grants.RequestAsync(actor, Request(), justification ?? string.Empty);
        preview = null;
        justification = null;
        return $"Grant of {grant.PolicyName} requested; another Approver or Admin must approve it.";
    }, fields.TryHold);

    private Task ApproveAsync(Guid id) => ActAsync(async () =>
    {
        var grant = await Grants.ApproveAsync(actor, id, Comment(id));
        return grant.State == PolicyGrantState.Applied
            ? $"Approved and applied: {grant.PolicyArn} (version {grant.PolicyVersionId}) is attached to {grant.RoleArn}."
            : throw new RotationRefusedException($"Approved, but applying it failed: {grant.Error} Apply it again when IAM answers.");
    });

    private Task RejectAsync(Guid id) => ActAsync(async () =>
    {
        await Grants.RejectAsync(actor, id, Comment(id) ?? string.Empty);
        return "Rejected.";
    }, refusal =>
    {
        if (!string.Equals(refusal.Field, RejectionReasonField, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        commentProblems[id] = refusal.Message;
        return true;
    });

    private Task ApplyAgainAsync(Guid id) => ActAsync(async () =>
    {
        var grant = await Grants.ApplyAgainAsync(actor, id);
        return grant.State == PolicyGrantState.Applied
            ? $"Applied: {grant.PolicyArn} (version {grant.PolicyVersionId}) is attached to {grant.RoleArn}."
            : throw new RotationRefusedException($"Applying failed again: {grant.Error}");
    });

    /// <param name="heldAtField">Shows a refusal next to the field it names; false leaves it for the page's message.</param>
    private async Task ActAsync(Func<Task<string?>> action, Func<RotationRefusedException, bool>? heldAtField = null)
    {
        busy = true;
        message = null;
        try
        {
            message = await action();
            failed = false;
        }
        catch (RotationRefusedException e) when (heldAtField?.Invoke(e) == true)
        {
            failed = true;
        }
        catch (RotationRefusedException e)
        {
            message = e.Message;
            failed = true;
        }
        finally
        {
            busy = false;
        }

        await LoadAsync();
    }

    private async Task ReloadAsync()
    {
        await LoadAsync();
        StateHasChanged();
    }

    public void Dispose() => live?.Dispose();
}
