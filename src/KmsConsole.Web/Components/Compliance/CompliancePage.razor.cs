using System.Globalization;
using KmsConsole.Rotation.Changes;
using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Shared;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace KmsConsole.Web.Components.Compliance;

/// <summary>Per-policy counts, the daily trend, and every answer with its reason and due date, filtered and exported.</summary>
public partial class CompliancePage : IDisposable
{
    [Inject] private ComplianceReports Reports { get; set; } = default!;

    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;

    [Inject] private IChangeFeed Changes { get; set; } = default!;

    [Inject] private TimeProvider Time { get; set; } = default!;

    [Inject] private ILogger<LiveUpdates> LiveLog { get; set; } = default!;

    [Inject] private Rotation.Governance.Campaigns Campaigns { get; set; } = default!;

    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>?status=NonCompliant opens the page on the non-compliant keys (the dashboard links there).</summary>
    [SupplyParameterFromQuery(Name = "status")] public string? InitialStatus { get; set; }

    private ComplianceOverview? _overview;
    private List<ChartSeries<double>> _trendSeries = [];
    private string[] _trendLabels = [];
    private MudTable<ComplianceRow>? _table;
    private Guid? _policy;
    private ComplianceStatus? _status;
    private string? _search;
    private bool _loaded;
    private bool _evaluating;
    private string? _refusal;
    private readonly Dictionary<Guid, string?> _justifications = [];
    private readonly Dictionary<Guid, int> _concurrency = [];
    private readonly Dictionary<Guid, FieldRefusals> _campaignFields = [];
    private LiveUpdates? _live;

    protected override async Task OnInitializedAsync()
    {
        _status = Enum.TryParse<ComplianceStatus>(InitialStatus, out var status) ? status : null;
        _live = LiveUpdates.Follow(Changes, LiveLog, InvokeAsync, ReloadAsync, ChangeKind.Governance);
        await LoadOverviewAsync();
    }

    private async Task LoadOverviewAsync()
    {
        _overview = await Reports.GetOverviewAsync();
        var days = _overview.Trend.Select(d => d.Day).Distinct().Order().ToList();
        _trendLabels = days.Select(d => d.UtcDateTime.ToString("MMM d", CultureInfo.InvariantCulture)).ToArray();
        _trendSeries = _overview.Policies.Select(p => new ChartSeries<double>
        {
            Name = p.Name,
            Data = days.Select(day => (double)(_overview.Trend.FirstOrDefault(d => d.PolicyId == p.PolicyId && d.Day == day)?.NonCompliant ?? 0)).ToArray(),
        }).ToList();
    }

    private async Task<TableData<ComplianceRow>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        var page = await Reports.QueryAsync(new ComplianceQuery
        {
            PolicyId = _policy,
            Status = _status,
            Search = string.IsNullOrWhiteSpace(_search) ? null : _search.Trim(),
            Page = state.Page,
            PageSize = state.PageSize,
        }, cancellationToken);
        _loaded = true;
        return new TableData<ComplianceRow> { Items = page.Items, TotalItems = page.TotalCount };
    }

    private async Task ReloadAsync()
    {
        await LoadOverviewAsync();
        if (_table is not null)
        {
            await _table.ReloadServerData();
        }

        StateHasChanged();
    }

    private async Task EvaluateAsync()
    {
        _refusal = null;
        _evaluating = true;
        try
        {
            await Reports.EvaluateAsync(ConsoleActor.From((await AuthenticationState).User));
        }
        catch (RotationRefusedException refused)
        {
            _refusal = refused.Message;
        }
        finally
        {
            _evaluating = false;
        }

        await ReloadAsync();
    }

    /// <summary>A campaign over the policy's non-compliant keys with the requester's justification (or a default), waiting for approval on its own page.</summary>
    private async Task OpenCampaignAsync(PolicyCompliance policy)
    {
        _refusal = null;
        var fields = FieldsOf(policy.PolicyId);
        fields.Clear();
        var given = _justifications.GetValueOrDefault(policy.PolicyId);
        if (FreeText.TooLong(given) is { } tooLong)
        {
            fields.Set(nameof(CampaignRequest.Justification), tooLong);
            return;
        }

        try
        {
            var justification = !string.IsNullOrWhiteSpace(given) ? given.Trim() : DefaultJustification(policy);
            var campaign = await Campaigns.RequestForPolicyAsync(ConsoleActor.From((await AuthenticationState).User), policy.PolicyId, justification,
                _concurrency.GetValueOrDefault(policy.PolicyId, Rotation.Governance.Campaigns.DefaultConcurrency));
            Navigation.NavigateTo($"campaigns/{campaign.Id}");
        }
        catch (RotationRefusedException refused)
        {
            if (!fields.TryHold(refused))
            {
                _refusal = refused.Message;
            }
        }
    }

    /// <summary>A campaign's justification when the requester gives none.</summary>
    private static string DefaultJustification(PolicyCompliance policy) => $"Remedy the keys non-compliant with {policy.Name} v{policy.Version}";

    /// <summary>The campaign fields of one policy's card.</summary>
    private FieldRefusals FieldsOf(Guid policyId) =>
        _campaignFields.TryGetValue(policyId, out var fields) ? fields
            : _campaignFields[policyId] = new FieldRefusals(nameof(CampaignRequest.Justification), nameof(CampaignRequest.Concurrency));

    private Task ShowPolicyAsync(Guid policyId)
    {
        _policy = policyId;
        _status = ComplianceStatus.NonCompliant;
        return _table?.ReloadServerData() ?? Task.CompletedTask;
    }

    private Task PolicyChanged(Guid? value) { _policy = value; return _table?.ReloadServerData() ?? Task.CompletedTask; }
    private Task StatusChanged(ComplianceStatus? value) { _status = value; return _table?.ReloadServerData() ?? Task.CompletedTask; }
    private Task SearchChanged(string? value) { _search = value; return _table?.ReloadServerData() ?? Task.CompletedTask; }

    /// <summary>"due in 12 days", "overdue by 3 days", "due today".</summary>
    private string Due(ComplianceRow row) => row.DueInDays(Time.GetUtcNow()) switch
    {
        null => "—",
        0 => "due today",
        1 => "due in 1 day",
        > 1 and var days => $"due in {days} days",
        -1 => "overdue by 1 day",
        var days => $"overdue by {-days} days",
    };

    internal static string Label(ComplianceStatus status) => status switch
    {
        ComplianceStatus.Compliant => "Compliant",
        ComplianceStatus.NonCompliant => "Non-compliant",
        ComplianceStatus.Exempt => "Exempt",
        ComplianceStatus.NotApplicable => "Not applicable",
        _ => "Could not be read",
    };

    private static Color ColorOf(ComplianceStatus status) => status switch
    {
        ComplianceStatus.Compliant => Color.Success,
        ComplianceStatus.NonCompliant => Color.Error,
        ComplianceStatus.Exempt => Color.Info,
        ComplianceStatus.CouldNotRead => Color.Warning,
        _ => Color.Default,
    };

    public void Dispose() => _live?.Dispose();
}
