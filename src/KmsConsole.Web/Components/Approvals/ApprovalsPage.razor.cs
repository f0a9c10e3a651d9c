using KmsConsole.Rotation;
using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Iam;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Runs;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace KmsConsole.Web.Components.Approvals;

/// <summary>
/// What waits for this approver: each run with its workflow, key, age, justification, parameters in words, the gate
/// the approval releases and the permission check made at request time; and the policy grants waiting.
/// </summary>
public partial class ApprovalsPage : IDisposable
{
    [Inject] private RunQueries Runs { get; set; } = default!;
    [Inject] private PolicyGrants Grants { get; set; } = default!;
    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;
    [Inject] private IChangeFeed Changes { get; set; } = default!;
    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>What waits for this approver, read while prerendering and carried into the interactive render.</summary>
    [PersistentState]
    public WaitingForApprover? Queue { get; set; }

    /// <summary>The runs an approver may decide, and the names of the policy grants waiting for them.</summary>
    public sealed record WaitingForApprover(IReadOnlyList<WaitingRun> Runs, IReadOnlyList<string> GrantPolicyNames);

    /// <summary>One run as the approver reads it before deciding.</summary>
    public sealed record WaitingRun(
        Guid RunId,
        string WorkflowLabel,
        string Target,
        string Key,
        string RequestedByName,
        DateTimeOffset RequestedAt,
        string Justification,
        int GateStep,
        string GateName,
        IReadOnlyList<RunParameterLine> Parameters,
        Severity PermissionSeverity,
        string PermissionText);

    private Actor? actor;
    private LiveUpdates? live;

    private DateTimeOffset Now => Clock.GetUtcNow();

    protected override async Task OnInitializedAsync()
    {
        actor = ConsoleActor.From((await AuthenticationState).User);
        live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ReloadAsync, ChangeKind.Run, ChangeKind.Grant);
        Queue ??= await LoadAsync();
    }

    private async Task<WaitingForApprover> LoadAsync()
    {
        var runs = await Runs.AwaitingDecisionByAsync(actor!);
        var grants = await Grants.AwaitingDecisionByAsync(actor!);
        return new WaitingForApprover(runs.Select(Describe).ToList(), grants.Select(g => g.PolicyName).ToList());
    }

    private WaitingRun Describe(Run run)
    {
        var gate = run.GateAwaitingDecision();
        var (severity, text) = Permissions(run.PermissionCheck);
        return new WaitingRun(run.Id, Workflows.LabelOf(run.Workflow), run.Target, run.AliasName is null ? run.KeyId : $"{run.AliasName} ({run.KeyId})",
            run.RequestedByName, run.CreatedAt, run.Justification, gate?.Index ?? run.CurrentStepIndex, gate?.Name ?? "",
            RunParameterLines.For(Workflows.Find(run.Workflow), run.Parameters), severity, text);
    }

    /// <summary>The permission check made at request time, in one line: a check not made is a warning, never a pass.</summary>
    internal static (Severity Severity, string Text) Permissions(RecordedPermissionCheck? check) => check switch
    {
        null => (Severity.Normal, "No permission check was recorded (the target's CheckPermissions is off)."),
        { Checked: false } => (Severity.Warning, $"Permissions not checked — this is not a pass. {check.Note}".TrimEnd()),
        _ when check.AllowedCount == check.Permissions.Count => (Severity.Success, $"Permissions: all {check.Permissions.Count} KMS actions allowed for {check.Principal}."),
        _ => (Severity.Error, $"Permissions: {check.Permissions.Count - check.AllowedCount} of {check.Permissions.Count} KMS actions denied for {check.Principal}; the run would fail at them."),
    };

    private async Task ReloadAsync()
    {
        Queue = await LoadAsync();
        StateHasChanged();
    }

    public void Dispose() => live?.Dispose();
}
