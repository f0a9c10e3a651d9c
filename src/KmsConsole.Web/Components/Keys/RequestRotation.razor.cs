using KmsConsole.Rotation.Workflows;
using KmsConsole.Web.SignIn;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace KmsConsole.Web.Components.Keys;

/// <summary>The request form for one key: workflow and parameters checked as KMS checks them, justification, the preflight's plan, then submit.</summary>
public partial class RequestRotation
{
    [Inject] private KeyInventory Inventory { get; set; } = default!;
    [Inject] private RotationRequests Requests { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;
    [Inject] private WorkflowDefinitions Workflows { get; set; } = default!;
    [Inject] private IOptions<RotationOptions> Settings { get; set; } = default!;

    [Parameter] public string Target { get; set; } = string.Empty;

    [Parameter] public string KeyId { get; set; } = string.Empty;

    [SupplyParameterFromQuery(Name = "workflow")]
    public string? InitialWorkflow { get; set; }

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    /// <summary>
    /// The key as read for the address's target and key. Read from KMS while prerendering, it is carried into the
    /// interactive render, which then does not read it again.
    /// </summary>
    [PersistentState]
    public LoadedKey? Loaded { get; set; }

    /// <summary>The key a request is for; <paramref name="RequestedKeyId"/> is the key id, ARN or alias in the address.</summary>
    public sealed record LoadedKey(string Target, string RequestedKeyId, KeyDetail Detail);

    private RotationRequestForm form = new();
    private readonly HashSet<string> touched = [];
    private IReadOnlyDictionary<string, string> problems = new Dictionary<string, string>();
    private bool showAllProblems;
    private KeyDetail? detail;
    private IReadOnlyList<string> aliases = [];
    private IReadOnlyList<WorkflowKind> workflows = [];
    private PreflightPlan? plan;
    private string? loadError;
    private RotationRefusedException? missing;
    private string? submitError;
    private bool busy;
    private List<BreadcrumbItem> breadcrumbs = [];
    private KmsConsole.Rotation.Iam.RecordedPermissionCheck? checkedPermissions;
    private bool isAdmin;

    private string GrantLink =>
        $"permissions?target={Uri.EscapeDataString(Target)}&workflow={form.Workflow}&key={Uri.EscapeDataString(aliases.FirstOrDefault() ?? KeyId)}";

    protected override void OnInitialized() => form = new RotationRequestForm { Definitions = Workflows };

    protected override async Task OnParametersSetAsync()
    {
        isAdmin = (await AuthenticationState).User.IsInRole(Roles.Admin);
        breadcrumbs =
        [
            new("Keys", "keys"),
            new(KeyId, $"keys/{Uri.EscapeDataString(Target)}/{Uri.EscapeDataString(KeyId)}"),
            new("Request rotation", null, disabled: true),
        ];
        try
        {
            if (Loaded is not { } loaded || loaded.Target != Target || loaded.RequestedKeyId != KeyId)
            {
                Loaded = loaded = new LoadedKey(Target, KeyId, await Inventory.GetDetailAsync(Target, KeyId));
            }

            detail = loaded.Detail;
            // A key used within the safety window is retired in stages unless the requester chooses otherwise.
            if (detail.LastUse?.UsedSince(Clock.GetUtcNow().AddDays(-Settings.Value.Safety.RecentUseDays)) == true && !touched.Contains(nameof(RotationRequestForm.OldKeyFate)))
            {
                form.OldKeyFate = OldKeyFate.StagedRetirement;
            }

            aliases = detail.Aliases;
            workflows = Requests.WorkflowsFor(detail.Summary);
            if (Enum.TryParse<WorkflowKind>(InitialWorkflow, out var initial) && workflows.Contains(initial))
            {
                form.Workflow = initial;
            }
        }
        catch (RotationRefusedException e) when (e.Kind == RefusalKind.NotFound)
        {
            missing = e;
        }
        catch (RotationRefusedException e)
        {
            loadError = e.Message;
        }
    }

    private bool HasError(string field) => (showAllProblems || touched.Contains(field)) && problems.ContainsKey(field);

    private string? Problem(string field) => HasError(field) ? problems[field] : null;

    private void WorkflowChanged(WorkflowKind? workflow) => Change(nameof(RotationRequestForm.Workflow), () => form.Workflow = workflow);

    private void Change(string field, Action apply)
    {
        apply();
        touched.Add(field);
        problems = form.Problems(Clock.GetUtcNow());
        plan = null;          // the plan no longer matches what the form says
        submitError = null;
    }

    private RotationRequest Request() =>
        new(Target, KeyId, form.Workflow!.Value, form.ToParameters(), form.Justification.Trim());

    private async Task PreviewAsync()
    {
        showAllProblems = true;
        problems = form.Problems(Clock.GetUtcNow());
        submitError = null;
        if (problems.Count > 0)
        {
            plan = null;
            return;
        }

        busy = true;
        try
        {
            plan = await Requests.PreflightAsync(Request());
            checkedPermissions = plan.Permissions?.Report is { } report
                ? KmsConsole.Rotation.Iam.RecordedPermissionCheck.From(report, Clock.GetUtcNow())
                : null;
        }
        catch (RotationRefusedException e)
        {
            submitError = e.Message;
        }
        finally
        {
            busy = false;
        }
    }

    private async Task SubmitAsync()
    {
        showAllProblems = true;
        problems = form.Problems(Clock.GetUtcNow());
        if (problems.Count > 0 || plan is not { Allowed: true })
        {
            return;
        }

        busy = true;
        submitError = null;
        try
        {
            var actor = ConsoleActor.From((await AuthenticationState).User);
            var run = await Requests.SubmitAsync(actor, Request());
            Navigation.NavigateTo($"runs/{run.Id}");
        }
        catch (RotationRefusedException e)
        {
            // Everything typed stays in the form; only the message is added.
            submitError = e.Message;
        }
        finally
        {
            busy = false;
        }
    }
}
