using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Rotation.Safety;
using KmsConsole.Web.Components.Runs;

namespace KmsConsole.Web.Tests.Components.Safety;

/// <summary>The run page shows the fate gate's hazards with their evidence, and an approver acknowledges the high ones there.</summary>
public sealed class HazardsOnRunPageTests : PageTest
{
    [Fact]
    public async Task An_approver_sees_the_old_key_used_after_the_swap_with_its_evidence_acknowledges_it_on_the_run_page_and_the_fate_follows()
    {
        var requests = World.Get<RotationRequests>();
        using var kms = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = World.KmsEndpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var oldKey = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata;
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK", new RotationParameters { OldKeyFate = OldKeyFate.Disable });
        await requests.ApproveAsync(ActorOf("alice"), run.Id, null);
        await WaitForAsync(run.Id, r => r is { State: RunState.AwaitingApproval, CurrentStepIndex: > 0 });
        await kms.EncryptAsync(new EncryptRequest { KeyId = oldKey.Arn, Plaintext = new MemoryStream([1, 2, 3]) });
        await requests.ApproveAsync(ActorOf("alice"), run.Id, "the fate is fine");
        await WaitForAsync(run.Id, r => r.State == RunState.AwaitingApproval && SafetyReview.Of(r).Unacknowledged.Count > 0);

        SignInAs("bob");
        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-hazard='used-after-alias-moved']")), TimeSpan.FromSeconds(10));
        var hazard = page.Find("[data-hazard='used-after-alias-moved']").TextContent;
        Assert.Contains($"{oldKey.KeyId} was used after alias/FirstCMK moved", hazard, StringComparison.Ordinal);
        Assert.Contains($"Evidence: GetKeyLastUsage of {oldKey.KeyId}: Encrypt at ", hazard, StringComparison.Ordinal);

        page.ChangeField("acknowledge-comment", "the batch job moves to the alias tonight");
        page.ClickButton("Acknowledge the high hazards");

        var done = await WaitForAsync(run.Id, r => r.IsFinished);
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal(KeyState.Disabled, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = oldKey.KeyId })).KeyMetadata.KeyState);
        Assert.Equal("Bob Approver", SafetyReview.Of(done).AcknowledgedBy);
    }

    [Fact]
    public async Task The_requester_sees_the_hazards_but_no_acknowledge_button()
    {
        using var kms = new AmazonKeyManagementServiceClient(new BasicAWSCredentials("AKIDLOCAL", "local-secret"),
            new AmazonKeyManagementServiceConfig { ServiceURL = World.KmsEndpoint.ToString(), AuthenticationRegion = "us-east-1" });
        var oldKey = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/FirstCMK" })).KeyMetadata;
        var run = await RequestAsync("rita", WorkflowKind.AliasSwapNewKey, "alias/FirstCMK", new RotationParameters { OldKeyFate = OldKeyFate.Disable });
        await World.Get<RotationRequests>().ApproveAsync(ActorOf("alice"), run.Id, null);
        await WaitForAsync(run.Id, r => r is { State: RunState.AwaitingApproval, CurrentStepIndex: > 0 });
        await kms.EncryptAsync(new EncryptRequest { KeyId = oldKey.Arn, Plaintext = new MemoryStream([1, 2, 3]) });
        await World.Get<RotationRequests>().ApproveAsync(ActorOf("alice"), run.Id, "the fate is fine");
        await WaitForAsync(run.Id, r => r.State == RunState.AwaitingApproval && SafetyReview.Of(r).Unacknowledged.Count > 0);

        SignInAs("rita");
        var page = Render<RunDetail>(p => p.Add(x => x.RunId, run.Id));
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-hazard='used-after-alias-moved']")), TimeSpan.FromSeconds(10));

        Assert.False(page.HasButton("Acknowledge the high hazards"));
    }

    /// <summary>Waits (bounded) until the orchestrator brings the run where <paramref name="reached"/> says.</summary>
    private async Task<Run> WaitForAsync(Guid runId, Func<Run, bool> reached)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var run = (await World.Get<RunQueries>().GetAsync(runId))!;
            if (reached(run))
            {
                return run;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Run {runId} did not get there within a minute.");
    }
}
