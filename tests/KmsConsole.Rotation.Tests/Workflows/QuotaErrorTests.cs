using Amazon.KeyManagementService.Model;

namespace KmsConsole.Rotation.Tests.Workflows;

/// <summary>A KMS quota (LimitExceededException) is not throttling: retrying cannot help, so the step fails at once with AWS's words.</summary>
public sealed class QuotaErrorTests
{
    [Fact]
    public async Task RotateKeyOnDemand_past_the_25_rotation_quota_fails_on_its_first_attempt_with_LimitExceededException()
    {
        await using var world = await RotationWorld.StartAsync();
        var (keyId, alias) = await world.NewAwsKeyAsync();
        for (var i = 0; i < 24; i++)
        {
            await world.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId });
        }

        var run = await world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotateNow = true });
        await world.Kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId });

        var finished = await world.DriveAsync(run.Id);

        Assert.Equal(RunState.Failed, finished.State);
        var failed = Assert.Single(finished.Steps, s => s.State == StepState.Failed);
        Assert.Equal("LimitExceededException", failed.ErrorCode);
        Assert.Equal(1, failed.Attempts);
    }
}
