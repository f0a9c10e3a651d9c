using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Runs;

namespace KmsConsole.Web.Tests.Components.Runs;

/// <summary>
/// A run that failed because its key was disabled between the approval and the orchestrator: its detail page offers
/// Resume to those who may use it, shows the refusal while the key is still disabled, and follows the run once resumed.
/// </summary>
public sealed class ResumeRunTests : PageTest
{
    private IAmazonKeyManagementService? kms;

    private IAmazonKeyManagementService Kms => kms ??= new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
        new AmazonKeyManagementServiceConfig { ServiceURL = World.KmsEndpoint.ToString(), AuthenticationRegion = "us-east-1" });

    private async Task<(Run Run, string KeyId)> FailedRunAsync()
    {
        var run = await RequestAsync("rita", WorkflowKind.EnableAutomaticRotation, "alias/FirstCMK");
        var keyId = (await Kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata.KeyId;
        await Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        await World.Get<RotationRequests>().ApproveAsync(ActorOf("alice"), run.Id, null);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await World.Get<RunQueries>().GetAsync(run.Id))!.State != RunState.Failed)
        {
            Assert.True(DateTime.UtcNow < deadline, "The run did not fail.");
            await Task.Delay(100);
        }

        return (run, keyId);
    }

    private IRenderedComponent<RunDetail> RenderRun(Run run, string userId)
    {
        SignInAs(userId);
        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));
        page.WaitForAssertion(() => Assert.Equal("Failed", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(10));
        return page;
    }

    [Theory]
    [InlineData("rita", true)]
    [InlineData("alice", true)]
    [InlineData("audrey", false)]
    public async Task A_failed_run_offers_Resume_to_its_requester_and_approvers_not_to_an_auditor(string userId, bool offered)
    {
        var (run, _) = await FailedRunAsync();

        var page = RenderRun(run, userId);

        Assert.Contains("DisabledException", page.Find("[data-testid='run-error']").TextContent);
        Assert.Equal(offered, page.HasButton("Resume"));
        Assert.False(page.HasButton("Roll back"));
    }

    [Fact]
    public async Task Resuming_shows_the_preflight_refusal_while_the_key_is_disabled_then_queues_the_run_again()
    {
        var (run, keyId) = await FailedRunAsync();
        var page = RenderRun(run, "rita");

        page.ClickButton("Resume");
        page.WaitForAssertion(() => Assert.Contains("Say why.", page.Markup));

        page.InputField("reason", "Try again");
        page.ClickButton("Resume");
        page.WaitForAssertion(() => Assert.Contains("is Disabled; this workflow needs an Enabled key", page.Find("[data-testid='action-message']").TextContent),
            TimeSpan.FromSeconds(10));
        Assert.Equal("Failed", page.Find("[data-testid='run-state']").GetAttribute("data-run-state"));

        await Kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });
        page.InputField("reason", "The key is enabled again");
        page.ClickButton("Resume");

        page.WaitForAssertion(() => Assert.Contains("queued again", page.Find("[data-testid='action-message']").TextContent), TimeSpan.FromSeconds(10));
        page.WaitForAssertion(() => Assert.Equal("Succeeded", page.Find("[data-testid='run-state']").GetAttribute("data-run-state")), TimeSpan.FromSeconds(30));
        Assert.False(page.HasButton("Resume"));
        Assert.Empty(page.FindAll("[data-testid='run-error']"));
        var resumed = await World.Get<AuditTrail>().QueryAsync(ActorOf("audrey"), new AuditFilter { RunId = run.Id, Action = "run.resumed" }, 0, 10);
        Assert.Contains("The key is enabled again", Assert.Single(resumed.Items).Details);
    }

    protected override async Task DisposeWorldAsync()
    {
        kms?.Dispose();
        await base.DisposeWorldAsync();
    }
}
