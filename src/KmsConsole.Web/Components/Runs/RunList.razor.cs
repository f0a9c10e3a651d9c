using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Workflows;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KmsConsole.Web.Components.Runs;

/// <summary>
/// Every run, filtered by state, workflow and key, paged on the server and kept current by live updates.
/// </summary>
public partial class RunList : IDisposable
{
    [Inject] private RunQueries Runs { get; set; } = default!;
    [Inject] private IChangeFeed Changes { get; set; } = default!;
    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;
    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "state")] public string? InitialState { get; set; }

    private MudTable<RunSummary>? table;
    private RunState? state;
    private WorkflowKind? workflow;
    private string? key;
    private bool loaded;
    private LiveUpdates? live;

    protected override void OnInitialized()
    {
        state = Enum.TryParse<RunState>(InitialState, out var s) ? s : null;
        live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ReloadAsync, ChangeKind.Run);
    }

    private async Task<TableData<RunSummary>> LoadAsync(TableState tableState, CancellationToken cancellationToken)
    {
        var filter = new RunFilter { State = state, Workflow = workflow, Key = string.IsNullOrWhiteSpace(key) ? null : key.Trim() };
        var page = await Runs.ListAsync(filter, tableState.Page, tableState.PageSize, cancellationToken);
        loaded = true;
        return new TableData<RunSummary> { Items = page.Items, TotalItems = page.TotalCount };
    }

    private Task ReloadAsync() => table?.ReloadServerData() ?? Task.CompletedTask;

    private Task StateChanged(RunState? value) { state = value; return ReloadAsync(); }
    private Task WorkflowChanged(WorkflowKind? value) { workflow = value; return ReloadAsync(); }
    private Task KeyChanged(string? value) { key = value; return ReloadAsync(); }

    public void Dispose() => live?.Dispose();
}
