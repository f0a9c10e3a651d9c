using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Tests.Runs;

/// <summary>Every KMS call retries throttling and 5xx answers on its own budget, inside the SDK client.</summary>
public sealed class RetryTests
{
    private const int RunsPerWorkflow = 10;

    [Fact]
    public async Task Ten_runs_of_each_workflow_succeed_while_kms_throttles_thirty_and_fails_twenty_percent_of_calls_and_show_their_retries()
    {
        await using var world = await RotationWorld.StartAsync(configure: o =>
        {
            // A call fails with half a chance here; twelve retries make one call's failure about 1 in 8,000, and a
            // step's three attempts make a step's failure vanishingly rare, so a red result is a real fault in the retries.
            o.Kms.MaxRetries = 12;
            o.Kms.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.Kms.RetryMaxDelay = TimeSpan.FromMilliseconds(20);
            o.Orchestrator.MaxAttempts = 3;
        });
        var awsKeys = new List<string>();
        var importedKeys = new List<string>();
        var escrowedKeys = new List<string>();
        for (var i = 0; i < RunsPerWorkflow; i++)
        {
            awsKeys.Add((await world.NewAwsKeyAsync($"w1-{i}")).Alias);
            awsKeys.Add((await world.NewAwsKeyAsync($"w2-{i}")).Alias);
            importedKeys.Add((await world.NewImportedKeyAsync($"w3-{i}")).Alias);
            importedKeys.Add((await world.NewImportedKeyAsync($"w4-{i}")).Alias);
            // A reimport needs material the console escrowed: a key an imported-key swap made.
            var swap = await world.DriveAsync((await world.SubmitAsync((await world.NewImportedKeyAsync($"w5-{i}")).Alias, WorkflowKind.AliasSwapImportedKey)).Id);
            escrowedKeys.Add(Assert.IsType<string>(swap.NewKeyId));
        }

        world.Server.Faults.ThrottlingShare = 0.3;
        world.Server.Faults.InternalErrorShare = 0.2;
        var runs = new List<Guid>();
        for (var i = 0; i < RunsPerWorkflow; i++)
        {
            runs.Add((await world.SubmitAsync(awsKeys[2 * i], WorkflowKind.EnableAutomaticRotation)).Id);
            runs.Add((await world.SubmitAsync(awsKeys[2 * i + 1], WorkflowKind.AliasSwapNewKey)).Id);
            runs.Add((await world.SubmitAsync(importedKeys[2 * i], WorkflowKind.AliasSwapImportedKey)).Id);
            runs.Add((await world.SubmitAsync(importedKeys[2 * i + 1], WorkflowKind.NewMaterialInPlace)).Id);
            runs.Add((await world.SubmitAsync(escrowedKeys[i], WorkflowKind.ReimportBeforeExpiry,
                new RotationParameters { ExpirationModel = RotationParameters.KeyMaterialExpires, ValidTo = world.Time.GetUtcNow().AddDays(200) })).Id);
        }

        var orchestrator = world.NewOrchestrator();
        var finished = new List<Run>();
        foreach (var id in runs)
        {
            finished.Add(await world.DriveAsync(id, orchestrator));
        }

        world.Server.Faults.ThrottlingShare = 0;
        world.Server.Faults.InternalErrorShare = 0;
        Assert.All(finished, r => Assert.True(r.State == RunState.Succeeded,
            $"{r.Workflow}: {r.State} {r.Error} ({string.Join("; ", r.Steps.Where(s => s.State == StepState.Failed).Select(s => $"{s.Name} after {s.Attempts} attempts"))})"));
        Assert.All(finished.GroupBy(r => r.Workflow), workflow => Assert.Equal(RunsPerWorkflow, workflow.Count()));
        // Retries are on the steps' records, for the run page. Half of all calls fail once, so every workflow shows them on
        // its runs; a single W1 run of four calls can, by chance, meet no fault at all.
        Assert.All(finished.GroupBy(r => r.Workflow), workflow => Assert.Contains(workflow,
            r => r.Steps.Any(s => s.Output?.Contains("call retr", StringComparison.Ordinal) == true)));
        Assert.Contains(finished.SelectMany(r => r.Steps), s => s.Output?.Contains("after ThrottlingException", StringComparison.Ordinal) == true);
        Assert.Contains(finished.SelectMany(r => r.Steps), s => s.Output?.Contains("after KMSInternalException", StringComparison.Ordinal) == true);
        foreach (var swap in finished.Where(r => r.Workflow is WorkflowKind.AliasSwapNewKey or WorkflowKind.AliasSwapImportedKey))
        {
            Assert.Equal(swap.NewKeyId, Assert.Single(await world.KeysTaggedWithAsync(swap.Id)));
            Assert.Equal(swap.NewKeyId, (await world.DescribeAsync(swap.AliasName!)).KeyId);
        }

        Assert.True((await world.Audit.VerifyAsync(RotationWorld.Erin)).Intact);
    }

    [Fact]
    public async Task A_key_detail_read_succeeds_while_kms_throttles_most_calls()
    {
        await using var world = await RotationWorld.StartAsync(configure: o =>
        {
            o.Kms.MaxRetries = 30;
            o.Kms.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.Kms.RetryMaxDelay = TimeSpan.FromMilliseconds(5);
        });
        var (keyId, alias) = await world.NewAwsKeyAsync();

        world.Server.Faults.ThrottlingShare = 0.7;
        var detail = await world.Inventory.GetDetailAsync(RotationWorld.Target, alias);
        world.Server.Faults.ThrottlingShare = 0;

        Assert.Equal(keyId, detail.Summary.KeyId);
        Assert.Contains(alias, detail.Summary.Aliases);
    }

    [Fact]
    public async Task A_call_whose_retry_budget_runs_out_fails_with_the_throttling_error_after_exactly_its_retries()
    {
        await using var world = await RotationWorld.StartAsync(configure: o =>
        {
            o.Kms.MaxRetries = 3;
            o.Kms.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
        });
        var kms = world.Get<IKmsClientFactory>().Create(RotationWorld.Target);

        world.Server.Faults.ThrottlingShare = 1.0;
        using var retries = KmsConsole.Rotation.Runs.CallRetries.Observe();
        var refused = await Assert.ThrowsAnyAsync<Amazon.KeyManagementService.AmazonKeyManagementServiceException>(() => kms.ListKeysAsync(new ListKeysRequest()));
        world.Server.Faults.ThrottlingShare = 0;

        Assert.Equal("ThrottlingException", refused.ErrorCode);
        Assert.Equal(3, retries.Count);
        Assert.Equal("3 call retries: ListKeys after ThrottlingException ×3", retries.Describe());
    }

    [Fact]
    public async Task A_run_failed_only_by_throttling_after_its_retries_resumes_without_a_reason_and_succeeds()
    {
        await using var world = await RotationWorld.StartAsync(configure: o =>
        {
            o.Kms.MaxRetries = 1;
            o.Kms.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.Orchestrator.MaxAttempts = 1;
        });
        var run = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);

        world.Server.Faults.ThrottlingShare = 1.0;
        var failed = await world.DriveAsync(run.Id);
        world.Server.Faults.ThrottlingShare = 0;
        Assert.Equal(RunState.Failed, failed.State);
        Assert.Equal("ThrottlingException", Assert.Single(failed.Steps, s => s.State == StepState.Failed).ErrorCode);
        Assert.False(RotationRequests.ResumeNeedsReason(failed));

        Assert.Equal(RunState.Queued, await world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, ""));
        Assert.Equal(RunState.Succeeded, (await world.DriveAsync(run.Id)).State);
        var resumed = Assert.Single((await world.Audit.QueryAsync(RotationWorld.Erin, new AuditFilter { Action = "run.resumed", RunId = run.Id }, 0, 10)).Items);
        Assert.Contains("transient", resumed.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_failed_by_a_refusal_still_needs_a_reason_to_resume()
    {
        await using var world = await RotationWorld.StartAsync();
        var run = await world.SubmitAsync("alias/FirstCMK", WorkflowKind.EnableAutomaticRotation);
        await world.Requests.ApproveAsync(RotationWorld.Bob, run.Id, null);
        var keyId = (await world.DescribeAsync("alias/FirstCMK")).KeyId;
        await world.Kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });

        var failed = await world.DriveAsync(run.Id);

        Assert.Equal(RunState.Failed, failed.State);
        Assert.True(RotationRequests.ResumeNeedsReason(failed));
        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.ResumeAsync(RotationWorld.Alice, run.Id, " "));
        Assert.Contains("Give the reason", refused.Message, StringComparison.Ordinal);
    }
}
