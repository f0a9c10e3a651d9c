using Bunit;
using KmsConsole.Rotation;
using KmsConsole.Web.Components.Shared;

namespace KmsConsole.Web.Tests.Components;

public sealed class ComponentTests : ConsoleTestContext
{
    [Theory]
    [InlineData("Enabled", "Enabled")]
    [InlineData("PendingImport", "Pending import")]
    [InlineData("PendingDeletion", "Pending deletion")]
    [InlineData("Disabled", "Disabled")]
    public void Key_state_chip_names_the_state(string state, string shown)
    {
        var chip = Render<KeyStateChip>(p => p.Add(x => x.State, state));
        Assert.Equal(shown, chip.Find("[data-testid='key-state']").TextContent.Trim());
        Assert.Equal(state, chip.Find("[data-testid='key-state']").GetAttribute("data-key-state"));
    }

    [Theory]
    [InlineData(RunState.AwaitingApproval, "Awaiting approval")]
    [InlineData(RunState.Succeeded, "Succeeded")]
    [InlineData(RunState.RolledBack, "Rolled back")]
    public void Run_state_chip_names_the_state(RunState state, string shown)
    {
        var chip = Render<RunStateChip>(p => p.Add(x => x.State, state));
        Assert.Equal(shown, chip.Find("[data-testid='run-state']").TextContent.Trim());
    }

    [Fact]
    public void Aws_error_is_shown_as_AWS_wrote_it()
    {
        var error = Render<AwsError>(p => p
            .Add(x => x.Code, "KMSInvalidStateException")
            .Add(x => x.Message, "arn:aws:kms:us-east-1:111122223333:key/1234 is pending import."));

        Assert.Equal("KMSInvalidStateException: arn:aws:kms:us-east-1:111122223333:key/1234 is pending import.",
            string.Join(' ', error.Find("[data-testid='aws-error']").TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("alert", error.Find("[data-testid='aws-error']").GetAttribute("role"));
    }

    [Fact]
    public void Utc_time_shows_UTC_and_carries_the_exact_instant()
    {
        var time = Render<UtcTime>(p => p.Add(x => x.Value, new DateTimeOffset(2026, 11, 29, 3, 4, 5, TimeSpan.FromHours(2))));
        Assert.Equal("2026-11-29 01:04:05 UTC", time.Find("time").TextContent);
        Assert.StartsWith("2026-11-29T01:04:05", time.Find("time").GetAttribute("datetime"));
    }

    [Fact]
    public void Step_timeline_shows_each_step_with_times_request_id_and_the_AWS_error_as_written()
    {
        var started = new DateTimeOffset(2026, 11, 29, 2, 0, 0, TimeSpan.Zero);
        IReadOnlyCollection<RunStep> steps =
        [
            new RunStep { Index = 0, Name = "Approval", Kind = StepKind.Gate, State = StepState.Succeeded, Attempts = 1, StartedAt = started, FinishedAt = started.AddMinutes(1) },
            new RunStep { Index = 1, Name = "Enable key rotation", Kind = StepKind.Action, State = StepState.Failed, Attempts = 3, StartedAt = started.AddMinutes(1), FinishedAt = started.AddMinutes(2),
                AwsRequestId = "9b0b4c3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", ErrorCode = "KMSInvalidStateException", ErrorMessage = "key/abc is pending deletion." },
            new RunStep { Index = 2, Name = "Verify rotation status", Kind = StepKind.Action, State = StepState.Pending },
        ];

        var timeline = Render<StepTimeline>(p => p.Add(x => x.Steps, steps).Add(x => x.CurrentStepIndex, 1));

        var items = timeline.FindAll("li[data-step-state]");
        Assert.Equal(["Succeeded", "Failed", "Pending"], items.Select(i => i.GetAttribute("data-step-state")));
        Assert.Contains("Approval gate", items[0].TextContent);
        Assert.Contains("2026-11-29 02:01:00 UTC", items[1].TextContent);
        Assert.Contains("3 attempts", items[1].TextContent);
        Assert.Equal("9b0b4c3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", items[1].QuerySelector("[data-testid='aws-request-id']")!.TextContent);
        Assert.Contains("KMSInvalidStateException", items[1].QuerySelector("[data-testid='aws-error']")!.TextContent);
        Assert.Contains("key/abc is pending deletion.", items[1].QuerySelector("[data-testid='aws-error']")!.TextContent);
        Assert.Null(items[2].QuerySelector("[data-testid='aws-error']"));
    }
}
