using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Shared;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace KmsConsole.Web.Components.Campaigns;

/// <summary>Campaigns and one campaign in full (its frozen per-key plan, live progress, approve, pause, resume, cancel, retry failed keys).</summary>
public partial class CampaignsPage : IDisposable
{
    [Parameter] public Guid? Id { get; set; }

    [Inject] private Rotation.Governance.Campaigns Campaigns { get; set; } = default!;

    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;

    [Inject] private IChangeFeed Changes { get; set; } = default!;

    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private IReadOnlyList<Campaign> _campaigns = [];
    private Campaign? _selected;
    private string? _comment;
    private readonly Dictionary<CampaignGate, string?> _gateComments = new() { [CampaignGate.Fate] = null, [CampaignGate.Deletion] = null };
    private string? _retryJustification;
    private const string CommentFieldName = "comment";
    private readonly FieldRefusals _fields = new(CommentFieldName, GateCommentField(CampaignGate.Fate), GateCommentField(CampaignGate.Deletion),
        nameof(CampaignRequest.Justification));
    private string? _refusal;
    private bool _loaded;
    private LiveUpdates? _live;

    protected override void OnInitialized() =>
        // Per-key runs publish a change per step; the campaign's own changes come as governance changes.
        _live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ReloadAsync, ChangeKind.Governance, ChangeKind.Run);

    protected override Task OnParametersSetAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        _campaigns = await Campaigns.ListAsync();
        _selected = Id is { } id ? await Campaigns.GetAsync(id) : null;
        _loaded = true;
    }

    private async Task ReloadAsync()
    {
        await LoadAsync();
        StateHasChanged();
    }

    private static string GateCommentField(CampaignGate gate) => $"{gate.Word()}-comment";

    /// <summary>A decision with the comment typed for it: a comment too long or refused shows under it.</summary>
    private Task DecideAsync(string commentField, string? comment, Func<Actor, Task> action)
    {
        _fields.Clear();
        if (FreeText.TooLong(comment) is { } tooLong)
        {
            _refusal = null;
            _fields.Set(commentField, tooLong);
            return Task.CompletedTask;
        }

        return ActAsync(action, refused =>
        {
            if (refused.Kind != RefusalKind.Invalid || !string.Equals(refused.Field, CommentFieldName, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            _fields.Set(commentField, refused.Message);
            return true;
        });
    }

    private Task ActAsync(Func<Actor, Task> action) => ActAsync(action, _ => false);

    private async Task ActAsync(Func<Actor, Task> action, Func<RotationRefusedException, bool> heldAtField)
    {
        _refusal = null;
        try
        {
            await action(ConsoleActor.From((await AuthenticationState).User));
            _comment = null;
            _gateComments[CampaignGate.Fate] = _gateComments[CampaignGate.Deletion] = null;
        }
        catch (RotationRefusedException refused)
        {
            if (!heldAtField(refused))
            {
                _refusal = refused.Message;
            }
        }

        await LoadAsync();
    }

    private async Task RetryFailedAsync()
    {
        _refusal = null;
        _fields.Clear();
        if (FreeText.TooLong(_retryJustification) is { } tooLong)
        {
            _fields.Set(nameof(CampaignRequest.Justification), tooLong);
            return;
        }

        try
        {
            var retry = await Campaigns.RetryFailedAsync(ConsoleActor.From((await AuthenticationState).User), _selected!.Id, _retryJustification ?? "");
            _retryJustification = null;
            Navigation.NavigateTo($"campaigns/{retry.Id}");
        }
        catch (RotationRefusedException refused)
        {
            if (!_fields.TryHold(refused))
            {
                _refusal = refused.Message;
            }
        }
    }

    public void Dispose() => _live?.Dispose();
}
