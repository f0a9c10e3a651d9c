using KmsConsole.Rotation.Changes;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace KmsConsole.Web.Components.Pages;

/// <summary>
/// The fleet at a glance: the count cards, the keys by target and by origin, the fleet's compliance, the rotations and expiries of the
/// coming weeks and, for those who may read the audit, its latest events; kept current by live updates.
/// </summary>
public partial class Dashboard : IDisposable
{
    [Inject] private KeyInventory Inventory { get; set; } = default!;
    [Inject] private IChangeFeed Changes { get; set; } = default!;
    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;

    /// <summary>The counts read while prerendering, carried into the interactive render so that it does not read them again.</summary>
    [PersistentState]
    public DashboardCounts? Counts { get; set; }

    private List<ChartSeries<double>> chartSeries = [];
    private string[] chartLabels = [];
    private LiveUpdates? live;

    /// <param name="Color">The palette colour of a count that needs attention; a count of 0 shows in the text's colour.</param>
    private sealed record Card(string Id, string Label, int Count, string Href, string LinkText, string Color)
    {
        public string ShownColor => Count > 0 ? Color : "text-primary";
    }

    // The Keys page filters by origin (keys?origin=…) but not by target, so only the origin totals link.
    private static string KeysOfOrigin(string origin) => $"keys?origin={Uri.EscapeDataString(origin)}";

    private static string KeysOfTarget(string target) => $"keys?target={Uri.EscapeDataString(target)}";

    private static IEnumerable<Card> Cards(DashboardCounts c) =>
    [
        new("without-rotation", "AWS_KMS keys without automatic rotation", c.KeysWithoutRotation, "keys?rotation=off&origin=AWS_KMS", "Show keys", "warning"),
        new("rotation-due", "Rotations due within 30 days", c.RotationDueWithin30Days, "keys?rotation=on", "Show keys", "info"),
        new("expiring", "Imported material expiring within 30 days", c.MaterialExpiringWithin30Days, "keys?expiring=30", "Show keys", "warning"),
        new("expired", "Imported material expired", c.MaterialExpired, "keys?expiring=expired", "Show keys", "error"),
        new("awaiting-approval", "Runs waiting for approval", c.RunsAwaitingApproval, "runs?state=AwaitingApproval", "Show runs", "warning"),
        new("failed", "Runs failed", c.RunsFailed, "runs?state=Failed", "Show runs", "error"),
    ];

    protected override async Task OnInitializedAsync()
    {
        // A run moving through its steps publishes a change per step; one reload in flight and one queued keeps up with any burst.
        live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ReloadAsync, ChangeKind.Run, ChangeKind.Inventory);
        Counts ??= await Inventory.GetDashboardAsync();
        ChartFrom(Counts);
    }

    private async Task ReloadAsync()
    {
        var counts = await Inventory.GetDashboardAsync();
        await InvokeAsync(() =>
        {
            Counts = counts;
            ChartFrom(counts);
            StateHasChanged();
        });
    }

    private void ChartFrom(DashboardCounts counts)
    {
        chartLabels = counts.Upcoming.Select(w => w.WeekStart.ToString("MMM d")).ToArray();
        chartSeries =
        [
            new() { Name = "Rotations", Data = counts.Upcoming.Select(w => (double)w.Rotations).ToArray() },
            new() { Name = "Material expiries", Data = counts.Upcoming.Select(w => (double)w.Expiries).ToArray() },
        ];
    }

    public void Dispose() => live?.Dispose();
}
