using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components;
using KmsConsole.Web.Components.Keys;
using KmsConsole.Web.Components.Pages;

namespace KmsConsole.Web.Tests.Components;

/// <summary>
/// Pages that follow the run change feed: the key detail reads its key again only for runs on that key, the dashboard
/// reads its counts at most once at a time with one more queued, however many changes arrive.
/// </summary>
public sealed class LiveReloadTests : PageTest
{
    private static readonly TimeSpan Loading = TimeSpan.FromSeconds(10);

    // Without the orchestrator nothing but the test moves runs and reads keys, so every read in the logs is accounted for.
    protected override bool RunOrchestrator => false;

    // Of all KMS calls only the key detail's own read lists a key's tags (no preflight or step runs here).
    private int KeyDetailReads(string keyId) => World.KmsCalls.Count("ListResourceTags", keyId);

    [Fact]
    public async Task Key_detail_reloads_live_for_runs_on_its_key_and_not_for_runs_on_another_key()
    {
        var first = await KeyAsync("alias/FirstCMK");
        SignInAs("rita");
        World.KmsCalls.Clear();
        var page = Render<KeyDetailPage>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, first.KeyId));
        page.WaitForAssertion(() => Assert.Contains("No run has touched this key.", page.Markup, StringComparison.Ordinal), Loading);
        Assert.Equal(1, KeyDetailReads(first.KeyId));

        // Each request publishes its run's change; the first is on another key.
        var elsewhere = await RequestAsync("rita", WorkflowKind.AliasSwapImportedKey, "alias/ImportedCMK");
        var here = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");

        page.WaitForAssertion(() => Assert.Equal(here.Id.ToString(), page.Find("[data-testid='run-row']").GetAttribute("data-run-id")), Loading);
        Assert.Equal(2, KeyDetailReads(first.KeyId));
        Assert.DoesNotContain(elsewhere.Id.ToString(), page.Markup, StringComparison.Ordinal);

        // The run moves on (rejected by an approver elsewhere): the page follows without navigation.
        await World.Get<RotationRequests>().RejectAsync(ActorOf("alice"), here.Id, "not this week");
        page.WaitForAssertion(() => Assert.Contains("Rejected", page.Find("[data-testid='run-row']").TextContent, StringComparison.Ordinal), Loading);
        Assert.Equal(3, KeyDetailReads(first.KeyId));
    }

    [Fact]
    public async Task Key_detail_counts_a_run_as_its_own_by_key_id_arn_alias_or_the_key_the_run_created()
    {
        var first = await KeyAsync("alias/FirstCMK");
        SignInAs("rita");
        var page = Render<KeyDetailPage>(p => p.Add(x => x.Target, ConsoleWorld.Target).Add(x => x.KeyId, first.KeyId));
        page.WaitForAssertion(() => Assert.NotNull(page.Instance.Loaded), Loading);
        var key = page.Instance.Loaded!.Detail;
        Run RunOn(string keyId, string? alias = null, string? newKeyId = null, string? arn = null, string target = ConsoleWorld.Target) =>
            new() { Id = Guid.NewGuid(), Target = target, KeyId = keyId, AliasName = alias, NewKeyId = newKeyId, KeyArn = arn };

        Assert.True(page.Instance.Touches(RunOn(first.KeyId), key));
        Assert.True(page.Instance.Touches(RunOn("some-other-key", alias: "alias/FirstCMK"), key));
        Assert.True(page.Instance.Touches(RunOn("some-other-key", newKeyId: first.KeyId), key));
        Assert.True(page.Instance.Touches(RunOn("some-other-key", arn: first.Arn), key));
        Assert.False(page.Instance.Touches(RunOn("some-other-key", alias: "alias/ImportedCMK", newKeyId: "a-third-key"), key));
        Assert.False(page.Instance.Touches(RunOn(first.KeyId, target: "another-target"), key));
    }

    [Fact]
    public async Task Dashboard_follows_a_burst_of_changes_to_the_last_state()
    {
        SignInAs("rita");
        var page = Render<Dashboard>();
        page.WaitForAssertion(() => Assert.Equal("0", AwaitingApproval(page)), Loading);
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        page.WaitForAssertion(() => Assert.Equal("1", AwaitingApproval(page)), Loading);

        // The rejection publishes its change; nine more follow back to back, as a run's steps publish them.
        var feed = World.Get<RunChangeFeed>();
        await World.Get<RotationRequests>().RejectAsync(ActorOf("alice"), run.Id, "not this week");
        for (var i = 0; i < 9; i++)
        {
            feed.Publish(run.Id);
        }

        page.WaitForAssertion(() => Assert.Equal("0", AwaitingApproval(page)), Loading);
    }

    [Fact]
    public async Task Coalesced_reload_runs_once_more_after_the_one_in_flight_however_many_ask()
    {
        var runs = 0;
        var inFlight = new TaskCompletionSource();
        var reload = new CoalescedReload(async () =>
        {
            runs++;
            await inFlight.Task;
        });

        var first = reload.RequestAsync();
        var burst = Enumerable.Range(0, 5).Select(_ => reload.RequestAsync()).ToList();
        Assert.All(burst, request => Assert.True(request.IsCompletedSuccessfully));
        Assert.Equal(1, runs);

        inFlight.SetResult();
        await first;
        Assert.Equal(2, runs);

        await reload.RequestAsync();
        Assert.Equal(3, runs);
    }

    [Fact]
    public async Task Coalesced_reload_that_fails_does_not_block_the_next()
    {
        var fail = true;
        var runs = 0;
        var reload = new CoalescedReload(() =>
        {
            runs++;
            return fail ? Task.FromException(new InvalidOperationException("database unavailable")) : Task.CompletedTask;
        });

        await Assert.ThrowsAsync<InvalidOperationException>(reload.RequestAsync);
        fail = false;
        await reload.RequestAsync();
        Assert.Equal(2, runs);
    }

    private static string AwaitingApproval(IRenderedComponent<Dashboard> page) =>
        page.Find("[data-testid='count-awaiting-approval'] [data-testid='count-value']").TextContent.Trim();
}
