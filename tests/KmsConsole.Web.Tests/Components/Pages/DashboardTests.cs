using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Pages;

namespace KmsConsole.Web.Tests.Components.Pages;

/// <summary>The dashboard over two targets (two Regions of the local endpoint): its totals, its colours and its recent activity.</summary>
public sealed class DashboardTests : PageTest
{
    private const string Europe = "europe";
    private static readonly TimeSpan Loading = TimeSpan.FromSeconds(10);

    // Without the orchestrator the audit trail holds only what the test writes, in the order it writes it.
    protected override bool RunOrchestrator => false;

    protected override IReadOnlyDictionary<string, string>? MoreTargets => new Dictionary<string, string> { [Europe] = "eu-west-1" };

    [Fact]
    public async Task Totals_count_the_keys_of_each_target_and_each_origin_and_link_each_to_the_filtered_keys()
    {
        var kms = World.Get<IKmsClientFactory>().Create(Europe);
        await kms.CreateKeyAsync(new CreateKeyRequest { Description = "first in Europe" });
        await kms.CreateKeyAsync(new CreateKeyRequest { Description = "second in Europe" });
        await kms.CreateKeyAsync(new CreateKeyRequest { Description = "imported in Europe", Origin = OriginType.EXTERNAL });
        await World.Get<KeyInventory>().SyncAsync(null);
        var local = await CountAsync(new KeyQuery { Target = ConsoleWorld.Target });
        var awsKms = await CountAsync(new KeyQuery { Origin = OriginType.AWS_KMS.Value });
        var external = await CountAsync(new KeyQuery { Origin = OriginType.EXTERNAL.Value });
        Assert.True(local >= 2, "the workshop's keys are in the local target");
        Assert.Equal(local + 3, awsKms + external);

        SignInAs("rita");
        var page = Render<Dashboard>();
        page.WaitForAssertion(() => page.Find("[data-testid='keys-by-origin']"), Loading);

        Assert.Equal(new Dictionary<string, string> { [ConsoleWorld.Target] = local.ToString(), [Europe] = "3" }, Totals(page, "keys-by-target"));
        Assert.Equal(new Dictionary<string, string> { [OriginType.AWS_KMS.Value] = awsKms.ToString(), [OriginType.EXTERNAL.Value] = external.ToString() },
            Totals(page, "keys-by-origin"));
        Assert.Equal("keys?origin=EXTERNAL", page.Find("[data-testid='keys-by-origin'] [data-name='EXTERNAL'] a").GetAttribute("href"));
        Assert.Equal("keys?origin=AWS_KMS", page.Find("[data-testid='keys-by-origin'] [data-name='AWS_KMS'] a").GetAttribute("href"));
        Assert.Equal($"keys?target={ConsoleWorld.Target}", page.Find($"[data-testid='keys-by-target'] [data-name='{ConsoleWorld.Target}'] a").GetAttribute("href"));
        Assert.Equal($"keys?target={Europe}", page.Find($"[data-testid='keys-by-target'] [data-name='{Europe}'] a").GetAttribute("href"));
    }

    [Fact]
    public async Task A_zero_count_shows_in_the_text_colour_and_only_a_count_above_zero_in_its_alarm_colour()
    {
        SignInAs("rita");
        var page = Render<Dashboard>();
        page.WaitForAssertion(() => Assert.Equal("0", Count(page, "awaiting-approval")), Loading);

        foreach (var zero in new[] { "failed", "expired", "awaiting-approval" })
        {
            Assert.Equal("0", Count(page, zero));
            Assert.Equal("color:var(--mud-palette-text-primary)", ColorOf(page, zero));
        }

        // FirstCMK: a symmetric AWS_KMS key the workshop left without automatic rotation.
        Assert.Equal("1", Count(page, "without-rotation"));
        Assert.Equal("color:var(--mud-palette-warning)", ColorOf(page, "without-rotation"));

        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        page.WaitForAssertion(() => Assert.Equal("1", Count(page, "awaiting-approval")), Loading);
        Assert.Equal("color:var(--mud-palette-warning)", ColorOf(page, "awaiting-approval"));
    }

    [Theory]
    [InlineData("audrey")]
    [InlineData("adam")]
    public async Task Recent_activity_shows_the_latest_audit_events_newest_first_and_follows_new_ones(string reader)
    {
        var requests = World.Get<RotationRequests>();
        Run? run = null;
        for (var i = 0; i < 4; i++)
        {
            run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
            await requests.RejectAsync(ActorOf("alice"), run.Id, $"not now ({i})");
        }

        SignInAs(reader);
        var page = Render<Dashboard>();
        page.WaitForAssertion(() => Assert.Equal(8, page.FindAll("[data-testid='activity-row']").Count), Loading);
        var newest = page.Find("[data-testid='activity-row']");
        Assert.Contains("alice", newest.TextContent);
        Assert.Equal("Run rejected", newest.QuerySelector("[data-testid='activity-action']")!.TextContent.Trim());
        Assert.Equal($"runs/{run!.Id}", newest.QuerySelector("[data-testid='activity-subject'] a")!.GetAttribute("href"));
        Assert.Equal("local:alias/FirstCMK", newest.QuerySelector("[data-testid='activity-subject']")!.TextContent.Trim());
        Assert.NotNull(newest.QuerySelector("time"));

        var later = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        page.WaitForAssertion(() =>
        {
            var requested = page.FindAll("[data-testid='activity-row']")
                .Where(r => r.QuerySelector("[data-testid='activity-subject'] a")?.GetAttribute("href") == $"runs/{later.Id}").ToList();
            Assert.Contains(requested, r => r.TextContent.Contains("rita") && r.TextContent.Contains("Run requested"));
        }, Loading);
        Assert.Equal(8, page.FindAll("[data-testid='activity-row']").Count);
    }

    [Theory]
    [InlineData("rita")]
    [InlineData("alice")]
    public async Task Recent_activity_is_not_shown_to_roles_that_may_not_read_the_audit(string user)
    {
        await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        SignInAs(user);
        var page = Render<Dashboard>();

        page.WaitForAssertion(() => Assert.Equal("1", Count(page, "awaiting-approval")), Loading);
        Assert.Empty(page.FindAll("[data-testid='recent-activity']"));
        Assert.DoesNotContain("Recent activity", page.Markup);
        Assert.DoesNotContain("run.requested", page.Markup);
    }

    [Fact]
    public void Actions_read_as_words()
    {
        Assert.Equal("Run awaiting approval", KmsConsole.Web.Components.Audit.RecentActivity.InWords("run.awaiting-approval"));
        Assert.Equal("Token used from new address", KmsConsole.Web.Components.Audit.RecentActivity.InWords("token.used-from-new-address"));
    }

    private async Task<int> CountAsync(KeyQuery query) => (await World.Get<KeyInventory>().QueryAsync(query with { PageSize = 1 })).TotalCount;

    private static Dictionary<string, string> Totals(IRenderedComponent<Dashboard> page, string section) =>
        page.FindAll($"[data-testid='{section}'] [data-testid='key-total']")
            .ToDictionary(r => r.GetAttribute("data-name")!, r => r.QuerySelector("[data-testid='key-total-count']")!.TextContent.Trim());

    private static string Count(IRenderedComponent<Dashboard> page, string card) =>
        page.Find($"[data-testid='count-{card}'] [data-testid='count-value']").TextContent.Trim();

    private static string? ColorOf(IRenderedComponent<Dashboard> page, string card) =>
        page.Find($"[data-testid='count-{card}'] [data-testid='count-value']").GetAttribute("style");
}
