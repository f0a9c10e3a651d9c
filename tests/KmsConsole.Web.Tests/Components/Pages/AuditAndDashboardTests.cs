using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Audit;
using KmsConsole.Web.Components.Pages;

namespace KmsConsole.Web.Tests.Components.Pages;

public sealed class AuditAndDashboardTests : PageTest
{
    [Fact]
    public async Task Audit_lists_the_events_of_a_request_and_shows_the_chain_intact()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        SignInAs("audrey");
        var page = Render<AuditPage>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid='audit-action']")), TimeSpan.FromSeconds(10));
        Assert.Contains("rita", page.Find("[data-testid='audit-table']").TextContent);
        page.WaitForAssertion(() => Assert.Contains("The audit chain is intact", page.Find("[data-testid='chain-verification']").TextContent));
        Assert.Contains("audit/export.csv", page.Find("[data-testid='export-csv']").GetAttribute("href"));
    }

    [Fact]
    public async Task Audit_shows_the_chain_head_and_checks_a_head_noted_earlier()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        SignInAs("audrey");
        var page = Render<AuditPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid='chain-head']")), TimeSpan.FromSeconds(10));
        var head = KmsConsole.Rotation.Audit.AuditAnchor.Parse(page.Find("[data-testid='chain-head']").TextContent);

        page.ChangeField("chain-anchor", "12:not-a-hash");
        page.ClickButton("Verify chain");
        page.WaitForAssertion(() => Assert.Contains("64 hex digits of its hash", page.Markup));

        page.ChangeField("chain-anchor", head.ToString());
        page.ClickButton("Verify chain");
        page.WaitForAssertion(() => Assert.Contains($"including the noted head {head.Sequence}", page.Find("[data-testid='chain-verification']").TextContent));

        // A head later than the chain's end: events after the current head were cut (as a truncated database would look).
        page.ChangeField("chain-anchor", new KmsConsole.Rotation.Audit.AuditAnchor(head.Sequence + 3, head.Hash).ToString());
        page.ClickButton("Verify chain");
        page.WaitForAssertion(() => Assert.Contains("cut from its end", page.Find("[data-testid='chain-verification']").TextContent));
    }

    [Fact]
    public async Task Audit_filter_by_actor_narrows_the_events()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        await World.Get<RotationRequests>().RejectAsync(ActorOf("alice"), run.Id, "not now");
        SignInAs("audrey");
        var page = Render<AuditPage>();
        page.WaitForAssertion(() => Assert.Contains("alice", page.Find("[data-testid='audit-table']").TextContent), TimeSpan.FromSeconds(10));

        page.FindAll("input").First(i => i.ParentElement!.ParentElement!.TextContent.Contains("Actor")).Input("rita");

        page.WaitForAssertion(() =>
        {
            var table = page.Find("[data-testid='audit-table'] tbody").TextContent;
            Assert.Contains("rita", table);
            Assert.DoesNotContain("alice", table);
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Audit_filters_show_a_malformed_run_id_and_reversed_dates_at_their_fields()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        SignInAs("audrey");
        var page = Render<AuditPage>();
        page.WaitForAssertion(() => Assert.Contains("rita", page.Find("[data-testid='audit-table']").TextContent), TimeSpan.FromSeconds(10));

        page.InputField("filter-run", "not-a-run");
        page.WaitForAssertion(() => Assert.Contains("A run id looks like", FieldText(page, "filter-run")), TimeSpan.FromSeconds(10));

        page.InputField("filter-run", "");
        page.ChangeField("filter-from", "2026-12-07");
        page.ChangeField("filter-to", "2026-12-01");
        page.WaitForAssertion(() => Assert.Contains("The end is before the start", FieldText(page, "filter-to")), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("The end is before the start", FieldText(page, "filter-from"));
    }

    private static string FieldText(IRenderedComponent<AuditPage> page, string testId) =>
        page.Find($"[data-testid='{testId}']").Closest(".mud-input-control")!.TextContent;

    [Fact]
    public async Task Dashboard_counts_link_to_the_keys_and_runs_they_count()
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        SignInAs("rita");
        var page = Render<Dashboard>();

        page.WaitForAssertion(() => page.Find("[data-testid='count-awaiting-approval']"), TimeSpan.FromSeconds(10));
        Assert.Equal("1", page.Find("[data-testid='count-awaiting-approval'] [data-testid='count-value']").TextContent.Trim());
        // FirstCMK only: imported keys cannot rotate automatically.
        Assert.Equal("1", page.Find("[data-testid='count-without-rotation'] [data-testid='count-value']").TextContent.Trim());
        Assert.Equal("runs?state=AwaitingApproval", page.Find("[data-testid='count-awaiting-approval'] a").GetAttribute("href"));
        Assert.Equal("keys?rotation=off&origin=AWS_KMS", page.Find("[data-testid='count-without-rotation'] a").GetAttribute("href"));
    }
}
