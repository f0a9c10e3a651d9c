using KmsConsole.Web.Audit;
using KmsConsole.Web.Components.Shared;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace KmsConsole.Web.Components.Audit;

/// <summary>The audit trail for Auditors and Admins: filtered and paged on the server, the chain verified (against a head noted earlier too), exported as CSV.</summary>
public partial class AuditPage
{
    [Inject] private AuditTrail Trail { get; set; } = default!;


    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "run")] public string? InitialRun { get; set; }

    private AuditTable? table;
    private Actor? actor;
    private string? filterActor;
    private string? filterAction;
    private string? filterSubject;
    private string? filterRun;
    private DateTime? filterFrom;
    private DateTime? filterTo;
    private bool runIdInvalid;
    private bool verifying;
    private AuditChainVerification? verification;
    private string? anchorText;
    private string? anchorError;
    private KmsConsole.Rotation.Audit.AuditAnchor? checkedAnchor;

    protected override async Task OnInitializedAsync()
    {
        filterRun = InitialRun;
        actor = ConsoleActor.From((await AuthenticationState).User);
    }

    // On open only the events appended since the last verified head are walked (a million-event chain is
    // walked again by "Verify chain"); after the first interactive render, so prerendering does not do it twice.
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            verification = await Trail.VerifyLatestAsync(actor!);
            StateHasChanged();
        }
    }

    internal AuditFilter Filter()
    {
        runIdInvalid = !string.IsNullOrWhiteSpace(filterRun) && !Guid.TryParse(filterRun, out _);
        return AuditExport.Filter(filterActor, filterAction, filterSubject, filterRun, filterFrom, filterTo);
    }

    private bool DatesReversed => filterFrom is { } from && filterTo is { } to && to < from;

    private string ExportLink => AuditExport.LinkFor(filterActor, filterAction, filterSubject, filterRun, filterFrom, filterTo);

    private async Task<TableData<AuditEvent>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        var page = await Trail.QueryAsync(actor!, Filter(), state.Page, state.PageSize, cancellationToken);
        return new TableData<AuditEvent> { Items = page.Items, TotalItems = page.TotalCount };
    }

    private Task FilterChanged(Action apply)
    {
        apply();
        return table?.ReloadAsync() ?? Task.CompletedTask;
    }

    private async Task VerifyAsync()
    {
        KmsConsole.Rotation.Audit.AuditAnchor? anchor = null;
        anchorError = null;
        if (!string.IsNullOrWhiteSpace(anchorText))
        {
            try
            {
                anchor = KmsConsole.Rotation.Audit.AuditAnchor.Parse(anchorText);
            }
            catch (FormatException e)
            {
                anchorError = e.Message;
                return;
            }
        }

        verifying = true;
        try
        {
            verification = await Trail.VerifyAsync(actor!, anchor: anchor);
            checkedAnchor = anchor;
        }
        finally
        {
            verifying = false;
        }
    }
}
