using KmsConsole.Rotation.Governance;
using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.Components.Keys;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace KmsConsole.Web.Components.Campaigns;

/// <summary>
/// A campaign from the keys selected in the Keys list: one workflow and its parameters (the single request's form and
/// limits, <see cref="RotationRequestForm"/>), a concurrency and a justification; on request, the campaign's page.
/// </summary>
public partial class CampaignFromKeys
{
    /// <summary>The keys selected in the list (all of them, across pages).</summary>
    [Parameter, EditorRequired] public IReadOnlyCollection<KeySnapshot> Selected { get; set; } = [];

    /// <summary>Asks the list to empty its selection.</summary>
    [Parameter] public EventCallback OnClear { get; set; }

    [Inject] private Rotation.Governance.Campaigns Campaigns { get; set; } = default!;

    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;

    [Inject] private NavigationManager Navigation { get; set; } = default!;

    [Inject] private TimeProvider Clock { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    private RotationRequestForm _form = new();
    private int _concurrency = 5;
    private bool _open;
    private bool _busy;
    private bool _submitted;
    private string? _refusal;
    private IReadOnlyDictionary<string, string> _problems = new Dictionary<string, string>();

    private string? _concurrencyRefusal;

    /// <summary>The form's fields a refusal of the campaign service can name, as the service names them.</summary>
    private static readonly string[] RefusableFields = [nameof(RotationRequestForm.Workflow), nameof(RotationRequestForm.Justification),
        nameof(RotationRequestForm.RotationPeriodInDays), nameof(RotationRequestForm.PendingWindowInDays)];

    private string? ConcurrencyProblem => _concurrency is < 1 or > Rotation.Governance.Campaigns.MaxConcurrency
        ? $"Between 1 and {Rotation.Governance.Campaigns.MaxConcurrency} keys at a time."
        : _concurrencyRefusal;

    protected override void OnInitialized() => _form = new RotationRequestForm { Definitions = Workflows };

    private void Open()
    {
        _open = true;
        _refusal = null;
    }

    private async Task ClearAsync()
    {
        _open = false;
        await OnClear.InvokeAsync();
    }

    private void Change(Action apply)
    {
        apply();
        _concurrencyRefusal = null;
        if (_submitted)
        {
            _problems = _form.Problems(Clock.GetUtcNow());
        }
    }

    private bool HasError(string field) => _problems.ContainsKey(field);

    private string? Problem(string field) => _problems.GetValueOrDefault(field);

    private RenderFragment? ErrorFor(string field) => Problem(field) is { } problem
        ? builder =>
        {
            builder.OpenElement(0, "div");
            builder.AddAttribute(1, "class", "mud-error-text mud-typography-caption");
            builder.AddContent(2, problem);
            builder.CloseElement();
        }
        : null;

    private async Task RequestAsync()
    {
        _submitted = true;
        _refusal = null;
        _problems = _form.Problems(Clock.GetUtcNow());
        if (_problems.Count > 0 || ConcurrencyProblem is not null || _form.Workflow is not { } workflow)
        {
            return;
        }

        // A campaign's keys are in one target (one account and Region), as each run's are.
        var targets = Selected.Select(k => k.Target).Distinct(StringComparer.Ordinal).ToList();
        if (targets.Count != 1)
        {
            _refusal = $"A campaign covers keys of one target; the selection has keys of {targets.Count} targets ({string.Join(", ", targets)}). Select keys of one target.";
            return;
        }

        _busy = true;
        try
        {
            var actor = ConsoleActor.From((await AuthenticationState).User);
            var campaign = await Campaigns.RequestAsync(actor, new CampaignRequest(targets[0], Selected.Select(k => k.KeyId).ToList(), workflow,
                _form.ToParameters(), _form.Justification, _concurrency));
            Navigation.NavigateTo($"campaigns/{campaign.Id}");
        }
        catch (RotationRefusedException refused)
        {
            if (!HoldAtField(refused))
            {
                _refusal = refused.Message;
            }
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>Shows a refusal naming a field of this form under that field; false for any other (e.g. the keys), for the form's message.</summary>
    private bool HoldAtField(RotationRefusedException refused)
    {
        if (string.Equals(refused.Field, nameof(CampaignRequest.Concurrency), StringComparison.OrdinalIgnoreCase))
        {
            _concurrencyRefusal = refused.Message;
            return true;
        }

        var named = refused.FieldProblems.Count > 0 ? refused.FieldProblems
            : refused.Field is { } field ? new Dictionary<string, string> { [field] = refused.Message } : new Dictionary<string, string>();
        var held = named.Select(p => (Field: RefusableFields.FirstOrDefault(f => string.Equals(f, p.Key, StringComparison.OrdinalIgnoreCase)), Problem: p.Value))
            .Where(p => p.Field is not null).ToList();
        if (held.Count == 0)
        {
            return false;
        }

        var problems = new Dictionary<string, string>(_problems);
        held.ForEach(p => problems[p.Field!] = p.Problem);
        _problems = problems;
        return true;
    }
}
