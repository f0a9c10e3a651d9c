using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Workflows;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KmsConsole.Web.Components.Keys;

/// <summary>
/// One key: its metadata, rotation status, last use and the runs on it, kept current by live updates; the workflows it fits open the request form.
/// </summary>
public partial class KeyDetailPage : IDisposable
{
    [Inject] private KeyInventory Inventory { get; set; } = default!;
    [Inject] private RunQueries Runs { get; set; } = default!;
    [Inject] private RotationRequests Requests { get; set; } = default!;
    [Inject] private IChangeFeed Changes { get; set; } = default!;
    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;
    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;

    [Parameter] public string Target { get; set; } = string.Empty;

    [Parameter] public string KeyId { get; set; } = string.Empty;

    /// <summary>
    /// The key and its runs as last read, for the key this page was asked for. Read while prerendering, it is carried
    /// into the interactive render, which then does not read KMS and the database again.
    /// </summary>
    [PersistentState]
    public LoadedKey? Loaded { get; set; }

    /// <summary>What the page shows of a key; <paramref name="RequestedKeyId"/> is the key id, ARN or alias in the address.</summary>
    public sealed record LoadedKey(string Target, string RequestedKeyId, KeyDetail Detail, IReadOnlyList<RunSummary> Runs);

    private KeyDetail? detail;
    private IReadOnlyList<RunSummary> runs = [];
    private IReadOnlyList<WorkflowKind> workflows = [];
    private RotationRefusedException? loadError;
    private List<BreadcrumbItem> breadcrumbs = [];
    private LiveUpdates? live;

    public static string LinkTo(string target, string keyId) => $"keys/{Uri.EscapeDataString(target)}/{Uri.EscapeDataString(keyId)}";

    protected override void OnInitialized()
    {
        live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ConcernsAsync, ReloadAsync);
    }

    protected override async Task OnParametersSetAsync()
    {
        breadcrumbs = [new("Keys", "keys"), new(KeyId, null, disabled: true)];
        if (Loaded is { } loaded && loaded.Target == Target && loaded.RequestedKeyId == KeyId)
        {
            Show(loaded);
            return;
        }

        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        var (loaded, error) = await ReadAsync(Target, KeyId);
        Apply(loaded, error);
    }

    private async Task<(LoadedKey? Loaded, RotationRefusedException? Error)> ReadAsync(string target, string keyId)
    {
        try
        {
            var read = await Inventory.GetDetailAsync(target, keyId);
            return (new LoadedKey(target, keyId, read, await Runs.ForKeyAsync(target, read.KeyId)), null);
        }
        catch (RotationRefusedException e)
        {
            return (null, e);
        }
    }

    private void Apply(LoadedKey? loaded, RotationRefusedException? error)
    {
        if (loaded is not null)
        {
            Loaded = loaded;
            Show(loaded);
        }
        else
        {
            loadError = error;
        }
    }

    private void Show(LoadedKey loaded)
    {
        detail = loaded.Detail;
        runs = loaded.Runs;
        workflows = Requests.WorkflowsFor(detail.Summary);
        loadError = null;
    }

    private async Task ReloadAsync()
    {
        var (target, keyId) = (Target, KeyId);
        var (loaded, error) = await ReadAsync(target, keyId);
        await InvokeAsync(() =>
        {
            // The address may have moved on to another key meanwhile.
            if (target == Target && keyId == KeyId)
            {
                Apply(loaded, error);
                StateHasChanged();
            }
        });
    }

    // Only runs on this key matter; their steps change the key, so it is read again.
    private async Task<bool> ConcernsAsync(ConsoleChange change) =>
        change is { Kind: ChangeKind.Run, Id: { } runId } && detail is { } shown && await Runs.GetAsync(runId) is { } run && Touches(run, shown);

    /// <summary>
    /// Whether a run acts on the key shown: by its key id or ARN, by one of the key's aliases (a run on an alias that
    /// moves away still changes this key), by the key it created, or because the page lists it.
    /// </summary>
    internal bool Touches(Run run, KeyDetail key) =>
        string.Equals(run.Target, Target, StringComparison.Ordinal)
        && (run.KeyId == key.KeyId
            || run.NewKeyId == key.KeyId
            || (run.KeyArn is not null && run.KeyArn == key.Arn)
            || (run.AliasName is not null && key.Aliases.Contains(run.AliasName))
            || runs.Any(r => r.Id == run.Id));

    public void Dispose() => live?.Dispose();
}
