using KmsConsole.Testing;

namespace KmsConsole.Rotation.Tests.Identity;

/// <summary>The public services refuse with the console's one type, its kind and field set, and AWS's own words when KMS said no.</summary>
public sealed class RefusalTranslationTests
{
    [Fact]
    public async Task A_key_KMS_does_not_know_is_refused_as_not_found_with_AWS_code_message_and_request_id()
    {
        await using var world = await RotationWorld.StartAsync();
        var missing = Guid.NewGuid().ToString();

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Inventory.GetDetailAsync(RotationWorld.Target, missing));

        Assert.Equal(RefusalKind.NotFound, refused.Kind);
        Assert.Equal("NotFoundException", refused.AwsErrorCode);
        Assert.Contains(missing, refused.AwsMessage, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(refused.AwsRequestId));
        Assert.Equal(refused.AwsMessage, refused.Message);
    }

    [Fact]
    public async Task A_target_that_does_not_answer_is_refused_as_unavailable()
    {
        var closed = LoopbackPorts.Free()[0];
        await using var world = await RotationWorld.StartAsync(configure: o =>
        {
            o.Targets.Add(new KmsTarget { Name = "gone", ServiceUrl = $"http://127.0.0.1:{closed}", Region = "us-east-1", AccessKeyId = "a", SecretAccessKey = "b" });
            o.Orchestrator.MaxAttempts = 1;
        });

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Inventory.GetDetailAsync("gone", "alias/FirstCMK"));

        Assert.Equal(RefusalKind.Unavailable, refused.Kind);
        Assert.Null(refused.AwsErrorCode);
    }

    [Fact]
    public async Task A_parameter_out_of_bounds_is_refused_as_invalid_naming_the_field()
    {
        await using var world = await RotationWorld.StartAsync();
        var (_, alias) = await world.NewAwsKeyAsync();

        var refused = await Assert.ThrowsAsync<RotationRefusedException>(() =>
            world.SubmitAsync(alias, WorkflowKind.EnableAutomaticRotation, new RotationParameters { RotationPeriodInDays = 10 }));

        Assert.Equal(RefusalKind.Invalid, refused.Kind);
        Assert.Equal(nameof(RotationParameters.RotationPeriodInDays), refused.Field);
        Assert.Equal("The rotation period must be between 90 and 2560 days (EnableKeyRotation); 10 was asked.", refused.Message);
    }

    [Fact]
    public async Task A_run_that_does_not_exist_is_refused_as_not_found_and_an_empty_reason_as_invalid()
    {
        await using var world = await RotationWorld.StartAsync();

        var missing = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.CancelAsync(RotationWorld.Alice, Guid.NewGuid(), "no longer needed"));
        Assert.Equal(RefusalKind.NotFound, missing.Kind);

        var empty = await Assert.ThrowsAsync<RotationRefusedException>(() => world.Requests.CancelAsync(RotationWorld.Alice, Guid.NewGuid(), " "));
        Assert.Equal(RefusalKind.Invalid, empty.Kind);
        Assert.Equal("reason", empty.Field);
    }
}
