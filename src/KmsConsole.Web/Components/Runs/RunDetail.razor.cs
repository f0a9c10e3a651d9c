using KmsConsole.Rotation;
using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Keys;
using KmsConsole.Web.Components.Shared;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace KmsConsole.Web.Components.Runs;

/// <summary>
/// One run: its key (and the key it created), its steps, what its approval releases in words, the permission check made
/// at request time, its decisions, and the actions this person may take (<see cref="RunActionPanel"/>).
/// </summary>
public partial class RunDetail : IDisposable
{
    [Inject] private RunQueries Runs { get; set; } = default!;
    [Inject] private RotationRequests Requests { get; set; } = default!;
    [Inject] private KeyInventory Inventory { get; set; } = default!;
    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;
    [Inject] private IChangeFeed Changes { get; set; } = default!;
    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [Parameter] public Guid RunId { get; set; }

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private Run? run;
    private KeySnapshot? oldKey;
    private KeySnapshot? newKey;
    private IReadOnlyList<RunParameterLine> parameters = [];
    private RunActionPanel actions = RunActionPanel.None;
    private bool notFound;
    private string? decisionComment;
    private string? reason;
    private bool rejectCommentMissing;
    private bool reasonMissing;
    private bool busy;
    private string? actionMessage;
    private IReadOnlyList<string> actionReasons = [];
    private bool actionFailed;
    private Actor actor = new("", "", new HashSet<string>());
    private LiveUpdates? live;
    private List<BreadcrumbItem> breadcrumbs = [];

    private bool IsActive => run?.State is RunState.AwaitingApproval or RunState.Queued or RunState.Running;

    private string CurrentStepName => run?.CurrentStep?.Name ?? "";

    protected override async Task OnParametersSetAsync()
    {
        breadcrumbs = [new("Runs", "runs"), new(RunId.ToString(), null, disabled: true)];
        actor = ConsoleActor.From((await AuthenticationState).User);
        live ??= LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, change => Task.FromResult(change is { Kind: ChangeKind.Run } && change.Id == RunId), ReloadAsync);
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        run = await Runs.GetAsync(RunId);
        notFound = run is null;
        if (run is null)
        {
            actions = RunActionPanel.None;
            return;
        }

        actions = RunActionPanel.For(Requests, actor, run);
        parameters = RunParameterLines.For(Workflows.Find(run.Workflow), run.Parameters);
        oldKey = await SnapshotAsync(run.Target, run.KeyId);
        newKey = run.NewKeyId is { } created ? await SnapshotAsync(run.Target, created) : null;
    }

    /// <summary>The key as the last inventory sync read it; null when the sync has not seen it.</summary>
    private async Task<KeySnapshot?> SnapshotAsync(string target, string keyId)
    {
        var page = await Inventory.QueryAsync(new KeyQuery { Target = target, Search = keyId, Page = 0, PageSize = 5 });
        return page.Items.FirstOrDefault(k => k.KeyId == keyId);
    }

    private async Task ReloadAsync()
    {
        await LoadAsync();
        StateHasChanged();
    }

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private Task ApproveAsync() =>
        FreeText.TooLong(decisionComment) is not null ? Task.CompletedTask
        : ActAsync(() => Requests.ApproveAsync(actor, RunId, Trimmed(decisionComment)), "Approved.");

    private Task RejectAsync()
    {
        rejectCommentMissing = string.IsNullOrWhiteSpace(decisionComment);
        return rejectCommentMissing || FreeText.TooLong(decisionComment) is not null
            ? Task.CompletedTask
            : ActAsync(() => Requests.RejectAsync(actor, RunId, decisionComment!.Trim()), "Rejected.");
    }

    /// <summary>Refuses an empty (when required) or too long reason at the field; true when the reason may be sent.</summary>
    private bool ReasonAccepted(bool required)
    {
        reasonMissing = required && string.IsNullOrWhiteSpace(reason);
        return !reasonMissing && FreeText.TooLong(reason) is null;
    }

    private async Task CancelAsync()
    {
        if (!ReasonAccepted(required: true))
        {
            return;
        }

        var outcome = RunState.Cancelled;
        await ActAsync(async () => outcome = await Requests.CancelAsync(actor, RunId, reason!.Trim()), "Cancelled.");
        if (!actionFailed && outcome == RunState.Running)
        {
            actionMessage = "Cancel requested: the run finishes the step it is in and stops before the next one.";
        }
    }

    private async Task ResumeAsync()
    {
        if (!ReasonAccepted(required: RotationRequests.ResumeNeedsReason(run!)))
        {
            return;
        }

        var resumedAs = RunState.Failed;
        await ActAsync(async () => resumedAs = await Requests.ResumeAsync(actor, RunId, reason?.Trim() ?? ""), "Resumed.");
        if (!actionFailed)
        {
            actionMessage = resumedAs == RunState.AwaitingApproval
                ? "Resumed: the approval it had passed has expired, so it waits for a fresh approval before the failed step runs again."
                : "Resumed: the run is queued again and continues at the step that failed.";
        }
    }

    private async Task RollBackAsync()
    {
        if (!ReasonAccepted(required: true))
        {
            return;
        }

        Run? rollBack = null;
        await ActAsync(async () => rollBack = await Requests.RequestRollBackAsync(actor, RunId, reason!.Trim()), "Roll back requested.");
        if (rollBack is not null)
        {
            Navigation.NavigateTo($"runs/{rollBack.Id}");
        }
    }

    private async Task ActAsync(Func<Task> action, string done)
    {
        busy = true;
        actionMessage = null;
        actionReasons = [];
        try
        {
            await action();
            actionMessage = done;
            actionFailed = false;
            decisionComment = null;
            reason = null;
        }
        catch (RotationRefusedException e)
        {
            actionMessage = e.Message;
            actionReasons = e.Reasons;
            actionFailed = true;
        }
        finally
        {
            busy = false;
        }

        await LoadAsync();
    }

    public void Dispose() => live?.Dispose();
}
