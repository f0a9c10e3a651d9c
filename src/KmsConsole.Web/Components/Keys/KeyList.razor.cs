using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;
using Kms = Amazon.KeyManagementService;

namespace KmsConsole.Web.Components.Keys;

/// <summary>
/// The key inventory: search, filters, sort and paging done by the server, a refresh of every target with its progress,
/// and a selection of keys to open a campaign on.
/// </summary>
public partial class KeyList
{
    [Inject] private KeyInventory Inventory { get; set; } = default!;

    [Inject] private IOptions<RotationOptions> Options { get; set; } = default!;

    private static readonly string[] Origins =
        [Kms.OriginType.AWS_KMS.Value, Kms.OriginType.EXTERNAL.Value, Kms.OriginType.AWS_CLOUDHSM.Value, Kms.OriginType.EXTERNAL_KEY_STORE.Value];

    private static readonly string[] States =
        [Kms.KeyState.Enabled.Value, Kms.KeyState.Disabled.Value, Kms.KeyState.PendingDeletion.Value, Kms.KeyState.PendingImport.Value, Kms.KeyState.Unavailable.Value];

    [SupplyParameterFromQuery(Name = "rotation")] public string? InitialRotation { get; set; }
    [SupplyParameterFromQuery(Name = "state")] public string? InitialState { get; set; }
    [SupplyParameterFromQuery(Name = "origin")] public string? InitialOrigin { get; set; }
    [SupplyParameterFromQuery(Name = "expiring")] public string? InitialExpiry { get; set; }
    [SupplyParameterFromQuery(Name = "q")] public string? InitialSearch { get; set; }
    [SupplyParameterFromQuery(Name = "read")] public string? InitialReadStatus { get; set; }
    [SupplyParameterFromQuery(Name = "target")] public string? InitialTarget { get; set; }

    private MudTable<KeySnapshot>? table;
    private KeySortField sortedBy = KeySortField.Alias;
    private bool sortedDescending;
    private HashSet<KeySnapshot> selected = KmsConsole.Web.Components.Campaigns.KeySelection.Empty();

    private sealed class ReportedProgress(Action<InventorySyncProgress> report) : IProgress<InventorySyncProgress>
    {
        public void Report(InventorySyncProgress value) => report(value);
    }

    /// <summary>The column the server sorts by, for screen readers (the sort label's arrow is only drawn).</summary>
    private string? AriaSort(KeySortField field) => field != sortedBy ? null : sortedDescending ? "descending" : "ascending";

    /// <summary>The targets to filter by; one target needs no filter.</summary>
    private IReadOnlyList<string> Targets => Options.Value.Targets.Count > 1 ? Options.Value.Targets.Select(t => t.Name).ToList() : [];

    private static string ReadErrorText(KeySnapshot key) => $"{key.ReadErrorCode}: {key.ReadErrorMessage}";

    internal static string[] AliasesOf(KeySnapshot key) =>
        key.Aliases.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    private string? search;
    private string? target;
    private string? origin;
    private string? state;
    private string? rotation;
    private const string Expired = "expired";
    private string? expiry;
    private string? readStatus;
    private string? unused;
    private bool syncing;
    private double syncPercent;
    private string? syncMessage;

    protected override void OnInitialized()
    {
        search = InitialSearch;
        // A link names the target as configured; the filter compares exactly, as the database stores it.
        target = InitialTarget is { Length: > 0 } asked ? Options.Value.FindTarget(asked)?.Name ?? asked : null;
        origin = InitialOrigin;
        state = InitialState;
        rotation = InitialRotation;
        expiry = InitialExpiry;
        readStatus = InitialReadStatus;
    }

    private async Task<TableData<KeySnapshot>> LoadAsync(TableState tableState, CancellationToken cancellationToken)
    {
        var sort = Enum.TryParse<KeySortField>(tableState.SortLabel, out var field) ? field : KeySortField.Alias;
        sortedBy = sort;
        sortedDescending = tableState.SortDirection == SortDirection.Descending;
        var result = await Inventory.QueryAsync(new KeyQuery
        {
            Search = string.IsNullOrWhiteSpace(search) ? null : search.Trim(),
            Target = target,
            Origin = origin,
            KeyState = state,
            RotationEnabled = rotation switch { "on" => true, "off" => false, _ => null },
            ExpiringWithinDays = int.TryParse(expiry, out var days) && days > 0 ? days : null,
            MaterialExpired = expiry == Expired,
            UnusedForDays = int.TryParse(unused, out var unusedDays) && unusedDays > 0 ? unusedDays : null,
            CouldNotRead = readStatus switch { "unreadable" => true, "read" => false, _ => null },
            SortBy = sort,
            Descending = sortedDescending,
            Page = tableState.Page,
            PageSize = tableState.PageSize,
        }, cancellationToken);
        return new TableData<KeySnapshot> { Items = result.Items, TotalItems = result.TotalCount };
    }

    private Task ReloadAsync() => table?.ReloadServerData() ?? Task.CompletedTask;

    private Task SearchChanged(string? value) { search = value; return ReloadAsync(); }
    private Task TargetChanged(string? value) { target = value; return ReloadAsync(); }
    private Task OriginChanged(string? value) { origin = value; return ReloadAsync(); }
    private Task StateChanged(string? value) { state = value; return ReloadAsync(); }
    private Task RotationChanged(string? value) { rotation = value; return ReloadAsync(); }
    private Task ExpiryChanged(string? value) { expiry = value; return ReloadAsync(); }
    private Task ReadStatusChanged(string? value) { readStatus = value; return ReloadAsync(); }
    private Task UnusedChanged(string? value) { unused = value; return ReloadAsync(); }

    private async Task RefreshAsync()
    {
        syncing = true;
        syncPercent = 0;
        syncMessage = "Reading keys from every target…";
        // Reports arrive on the sync's threads; late ones must not overwrite the final message.
        var progress = new ReportedProgress(p => _ = InvokeAsync(() =>
        {
            if (!syncing)
            {
                return;
            }

            syncPercent = p.Total > 0 ? 100.0 * p.Done / p.Total : 0;
            syncMessage = p.Total > 0 ? $"{p.Target}: {p.Done} of {p.Total} keys read" : $"{p.Target}: listing keys…";
            StateHasChanged();
        }));
        try
        {
            var result = await Inventory.SyncAsync(progress);
            syncMessage = result.Unreadable.Count == 0
                ? $"Inventory refreshed. {result.Summary}."
                : $"Inventory refreshed. {result.Summary}: they are marked in the list with AWS's error (filter Last sync: Could not read).";
        }
        catch (RotationRefusedException e)
        {
            // A KMS request that timed out is refused as Unavailable: the page says so instead of losing its circuit.
            syncMessage = e.Kind == RefusalKind.Unavailable ? $"The inventory sync did not finish: {e.Message}" : $"The inventory sync failed: {e.Message}";
        }
        finally
        {
            syncing = false;
        }

        await ReloadAsync();
    }
}
