using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Iam;
using KmsConsole.Web.Components.Approvals;
using KmsConsole.Web.Components.Keys;
using KmsConsole.Web.Components.Pages;
using KmsConsole.Web.Components.Permissions;
using KmsConsole.Web.Components.Runs;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Logging.Abstractions;

namespace KmsConsole.Web.Tests.Components.Pages;

/// <summary>
/// A page's first visit reads its data once: the interactive render that follows prerendering takes what prerendering
/// read from the persisted component state instead of querying the database and KMS again.
/// </summary>
public sealed class PageLoadTests : PrerenderThenInteractiveTest
{
    [Fact]
    public async Task Dashboard_after_prerendering_does_not_query_again()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var state = new PrerenderedState();

        await PrerenderAsync<Dashboard>("rita", state, page => Assert.Equal("1", AwaitingApproval(page)));
        Assert.NotEmpty(World.Sql.Commands);

        var interactive = await RenderInteractiveAsync<Dashboard>("rita", state);
        interactive.WaitForAssertion(() => Assert.Equal("1", AwaitingApproval(interactive)), Loading);
        Assert.Empty(World.Sql.Commands);
    }

    [Fact]
    public async Task Dashboard_of_an_auditor_after_prerendering_does_not_read_the_recent_activity_again()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var state = new PrerenderedState();
        static void Loaded(IRenderedComponent<Dashboard> page)
        {
            Assert.Equal("1", AwaitingApproval(page));
            Assert.Contains("rita", page.Find("[data-testid='activity-row']").TextContent, StringComparison.Ordinal);
        }

        await PrerenderAsync<Dashboard>("audrey", state, Loaded);

        var interactive = await RenderInteractiveAsync<Dashboard>("audrey", state);
        interactive.WaitForAssertion(() => Loaded(interactive), Loading);
        Assert.Empty(World.Sql.Commands);
    }

    [Fact]
    public async Task Key_detail_after_prerendering_reads_neither_KMS_nor_the_database_again()
    {
        var key = await KeyAsync("alias/FirstCMK");
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var state = new PrerenderedState();
        void Parameters(ComponentParameterCollectionBuilder<KeyDetailPage> p) => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, key.KeyId);
        void Loaded(IRenderedComponent<KeyDetailPage> page)
        {
            Assert.Contains("alias/FirstCMK", page.Find("[data-testid='aliases']").TextContent, StringComparison.Ordinal);
            Assert.Equal(run.Id.ToString(), page.Find("[data-testid='run-row']").GetAttribute("data-run-id"));
        }

        await PrerenderAsync<KeyDetailPage>("rita", state, Loaded, Parameters);
        Assert.Equal(1, World.KmsCalls.Count("DescribeKey", key.KeyId));
        Assert.NotEmpty(World.Sql.Commands);

        var interactive = await RenderInteractiveAsync<KeyDetailPage>("rita", state, Parameters);
        interactive.WaitForAssertion(() => Loaded(interactive), Loading);
        Assert.Empty(World.KmsCalls.Calls);
        Assert.Empty(World.Sql.Commands);
    }

    [Fact]
    public async Task Key_detail_reads_the_key_when_the_persisted_state_is_of_another_key()
    {
        var first = await KeyAsync("alias/FirstCMK");
        var imported = await KeyAsync("alias/ImportedCMK");
        var state = new PrerenderedState();
        await PrerenderAsync<KeyDetailPage>("rita", state, page => page.Find("[data-testid='aliases']"),
            p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, first.KeyId));

        var interactive = await RenderInteractiveAsync<KeyDetailPage>("rita", state, p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, imported.KeyId));

        interactive.WaitForAssertion(() => Assert.Contains("alias/ImportedCMK", interactive.Find("[data-testid='aliases']").TextContent, StringComparison.Ordinal), Loading);
        Assert.Equal(1, World.KmsCalls.Count("DescribeKey", imported.KeyId));
    }

    [Fact]
    public async Task Request_form_after_prerendering_does_not_read_the_key_again()
    {
        var key = await KeyAsync("alias/FirstCMK");
        var state = new PrerenderedState();
        void Parameters(ComponentParameterCollectionBuilder<RequestRotation> p) => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, key.KeyId);

        void Loaded(IRenderedComponent<RequestRotation> page) => Assert.Contains("(alias/FirstCMK)", page.Markup, StringComparison.Ordinal);

        await PrerenderAsync<RequestRotation>("rita", state, Loaded, Parameters);
        Assert.Equal(1, World.KmsCalls.Count("DescribeKey", key.KeyId));

        var interactive = await RenderInteractiveAsync<RequestRotation>("rita", state, Parameters);
        interactive.WaitForAssertion(() => Loaded(interactive), Loading);
        Assert.Empty(World.KmsCalls.Calls);
    }

    // The run list has nothing to persist: its table reads its rows after its first interactive render, which
    // prerendering never reaches. Prerendered by the framework's static HtmlRenderer, it queries nothing and says it is loading.
    [Fact]
    public async Task Run_list_prerenders_without_querying_and_reads_its_rows_once_when_interactive()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        SignInAs("audrey");
        World.Sql.Clear();

        string prerendered;
        await using (var html = new HtmlRenderer(Services, NullLoggerFactory.Instance))
        {
            prerendered = await html.Dispatcher.InvokeAsync(async () => (await html.RenderComponentAsync<RunList>()).ToHtmlString());
        }

        Assert.Contains("Loading runs…", prerendered, StringComparison.Ordinal);
        Assert.Empty(World.Sql.Commands);

        var page = Render<RunList>();
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid='run-state']")), Loading);
        Assert.Empty(page.FindAll("[data-testid='runs-loading']"));
        Assert.Equal(1, World.Sql.Commands.Count(c => c.Contains("LIMIT", StringComparison.Ordinal)));
    }

    private static string AwaitingApproval(IRenderedComponent<Dashboard> page) =>
        page.Find("[data-testid='count-awaiting-approval'] [data-testid='count-value']").TextContent.Trim();
}

/// <summary>The pages that show policy grants, over a target acting as the workshop's role (grants are for roles).</summary>
public sealed class GrantPageLoadTests : PrerenderThenInteractiveTest
{
    protected override bool ActAsWorkshopRole => true;

    [Fact]
    public async Task Approvals_after_prerendering_does_not_query_again()
    {
        // The role may rotate once bob applies a grant for it; a second grant then waits for alice.
        var applied = await GrantRequestedByAdamAsync(WorkflowKind.EnableAutomaticRotation);
        await World.Get<PolicyGrants>().ApproveAsync(ActorOf("bob"), applied.Id, null);
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var grant = await GrantRequestedByAdamAsync(WorkflowKind.AliasSwapNewKey);
        var state = new PrerenderedState();
        void Loaded(IRenderedComponent<ApprovalsPage> page)
        {
            Assert.Equal(run.Id.ToString(), page.Find("[data-testid='run-row']").GetAttribute("data-run-id"));
            Assert.Contains(grant.PolicyName, page.Find("[data-testid='grants-waiting']").TextContent, StringComparison.Ordinal);
        }

        await PrerenderAsync<ApprovalsPage>("alice", state, Loaded);
        Assert.NotEmpty(World.Sql.Commands);

        var interactive = await RenderInteractiveAsync<ApprovalsPage>("alice", state);
        interactive.WaitForAssertion(() => Loaded(interactive), Loading);
        Assert.Empty(World.Sql.Commands);
    }

    [Fact]
    public async Task Permissions_after_prerendering_does_not_query_again()
    {
        var grant = await GrantRequestedByAdamAsync(WorkflowKind.EnableAutomaticRotation);
        var state = new PrerenderedState();
        void Loaded(IRenderedComponent<PermissionsPage> page) =>
            Assert.Contains(grant.PolicyName, page.Find("[data-testid='pending-grant']").TextContent, StringComparison.Ordinal);

        await PrerenderAsync<PermissionsPage>("alice", state, Loaded);
        Assert.NotEmpty(World.Sql.Commands);

        var interactive = await RenderInteractiveAsync<PermissionsPage>("alice", state);
        interactive.WaitForAssertion(() => Loaded(interactive), Loading);
        Assert.Empty(World.Sql.Commands);
    }

    private async Task<PolicyGrant> GrantRequestedByAdamAsync(WorkflowKind workflow) =>
        await World.Get<PolicyGrants>().RequestAsync(ActorOf("adam"),
            new PolicyGrantRequest(ConsoleWorld.Target, [workflow], PolicyScope.Account), "rotation needs it");
}

/// <summary>
/// A page prerendered in a context of its own, then rendered again as the interactive circuit renders it, with the
/// component state the first render persisted.
/// </summary>
public abstract class PrerenderThenInteractiveTest : PageTest
{
    protected static readonly TimeSpan Loading = TimeSpan.FromSeconds(10);

    // The orchestrator polls the database; without it every SQL command in the log is the page's.
    protected override bool RunOrchestrator => false;

    /// <summary>The page's prerendering: rendered and loaded in a context of its own, its persisted state kept in <paramref name="state"/>.</summary>
    protected async Task PrerenderAsync<TPage>(string user, PrerenderedState state, Action<IRenderedComponent<TPage>> loaded,
        Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent
    {
        await using var prerender = new ConsoleTestContext();
        World.ServeTo(prerender.Services);
        PrerenderedState.Enable(prerender);
        prerender.SignInAs(user);
        World.Sql.Clear();
        World.KmsCalls.Clear();
        var page = prerender.Render(parameters);
        page.WaitForAssertion(() => loaded(page), Loading);
        await state.PersistFromAsync(prerender);
        Assert.NotEmpty(state.Keys);
    }

    /// <summary>The interactive render that follows: the persisted state restored first, the logs of SQL and KMS calls emptied.</summary>
    protected async Task<IRenderedComponent<TPage>> RenderInteractiveAsync<TPage>(string user, PrerenderedState state,
        Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent
    {
        PrerenderedState.Enable(this);
        SignInAs(user);
        await state.RestoreIntoAsync(this);
        World.Sql.Clear();
        World.KmsCalls.Clear();
        return Render(parameters);
    }
}
